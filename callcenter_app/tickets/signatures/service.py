"""Frappe glue for signatures (rules in ``signatures/rules.py``).

``sign_communication`` (Communication ``before_insert``) appends the agent's signature to a message an
agent sends on an HD Ticket: Helpdesk 1.4's ``reply_via_agent`` creates such a Communication (medium Email,
or empty when Helpdesk skips the email workflow), so does the desk's email composer. The kind of message is
decided by ``use_case``: a forward when the customer is not among the recipients, a new message when the
ticket has no earlier message, else a reply (Helpdesk 1.4 itself only replies). The signature is marked, so
it is added once.

Helpdesk sends the email from the reply text it was given, not from the Communication, so
``sign_outgoing_email`` (Email Queue ``before_insert``) copies the same signature block into the queued email
of that Communication: the customer receives what the ticket shows.
"""

from __future__ import annotations

import frappe
from frappe.utils import get_url

from callcenter_app.tickets.signatures.rules import (
	Signature,
	add_to_email,
	append,
	choose,
	has_signature,
	render,
	signature_block,
	use_case,
)

USE_FIELDS = {"new": "use_new", "reply": "use_reply", "forward": "use_forward"}


def signatures() -> list[Signature]:
	rows = frappe.get_all(
		"CC Signature",
		filters={"active": 1},
		fields=["name", "agent", "is_default", "use_new", "use_reply", "use_forward", "modified"],
	)
	return [
		Signature(
			name=r.name,
			agent=r.agent or "",
			active=True,
			is_default=bool(r.is_default),
			uses=frozenset(use for use, field in USE_FIELDS.items() if r.get(field)),
			modified=r.modified,
		)
		for r in rows
	]


def author(sender: str | None) -> str:
	"""The User who writes: the sender when it names a user (by name or email), else the session user."""
	if sender and frappe.db.exists("User", sender):
		return sender
	if sender:
		user = frappe.db.get_value("User", {"email": sender}, "name")
		if user:
			return user
	return frappe.session.user


def sign_communication(doc, method=None) -> None:
	"""Communication ``before_insert``: an agent's email on a ticket gets their signature, once."""
	if doc.reference_doctype != "HD Ticket" or not doc.reference_name or doc.sent_or_received != "Sent":
		return
	if doc.communication_type != "Communication" or doc.communication_medium not in ("Email", "", None):
		return
	if has_signature(doc.content):
		return
	ticket = frappe.db.get_value("HD Ticket", doc.reference_name, ["raised_by", "contact"], as_dict=True)
	if not ticket:
		return
	customer = ticket.raised_by or ""
	if ticket.contact:
		customer += " " + (frappe.db.get_value("Contact", ticket.contact, "email_id") or "")
	earlier = bool(
		frappe.db.exists(
			"Communication",
			{
				"reference_doctype": "HD Ticket",
				"reference_name": doc.reference_name,
				"communication_type": "Communication",
			},
		)
	)
	use = use_case(doc.recipients, customer, earlier)
	chosen = choose(signatures(), author(doc.sender), use)
	if not chosen:
		return
	html, logo = frappe.db.get_value("CC Signature", chosen.name, ["html", "logo"])
	doc.content = append(doc.content, render(chosen.name, html or "", get_url(logo) if logo else None))
	doc.flags.skip_add_signature = True  # Frappe's own email signature would be a second one


def sign_outgoing_email(doc, method=None) -> None:
	"""Email Queue ``before_insert``: the email of a signed ticket Communication carries the signature."""
	if not doc.get("communication") or not doc.get("message"):
		return
	row = frappe.db.get_value(
		"Communication", doc.communication, ["reference_doctype", "content"], as_dict=True
	)
	if not row or row.reference_doctype != "HD Ticket":
		return
	block = signature_block(row.content)
	if block:
		doc.message = add_to_email(doc.message, block)
