"""Frappe glue for the ticket engines (tickets/*.py are pure): sources and keyword filters on new tickets.

On every new HD Ticket (``before_insert``) the ticket's source is found — its mailbox (Email Account), the
call queue it came from, the SMS number, or the web form/portal — and the source's rules choose the team
(unless one is already set) and store the source and its weight on the ticket.
"""

from __future__ import annotations

import frappe
from frappe.utils import strip_html

from callcenter_app.tickets.filters import Message, Rule, Source, route

SOURCE_TYPES = {"Email": "email", "SMS": "sms", "Phone": "phone", "Web Form": "web_form"}
CHANNELS = {"Email": "Email", "SMS": "SMS", "Phone": "Phone", "Web Form": "Web Form"}


def source_of(doc) -> Source:
	"""A CC Ticket Source document (or its dict) as the pure core's Source."""
	return Source(
		name=doc.get("source_name") or doc.get("name") or "",
		type=SOURCE_TYPES.get(doc.get("source_type"), doc.get("source_type") or ""),
		weight=int(doc.get("weight") or 0),
		default_team=doc.get("default_team") or "",
		rules=tuple(
			Rule(r.get("field") or "", r.get("operator") or "", r.get("value") or "", r.get("team") or "")
			for r in doc.get("rules") or ()
		),
	)


def find_source(ticket) -> str | None:
	"""Which enabled CC Ticket Source a new ticket came through, or None."""
	enabled = {"enabled": 1}
	queue = ticket.flags.get("cc_call_queue")
	if queue:
		return frappe.db.get_value(
			"CC Ticket Source", {**enabled, "source_type": "Phone", "call_queue": queue}
		)
	sms = ticket.flags.get("cc_sms_number")
	if sms:
		return frappe.db.get_value("CC Ticket Source", {**enabled, "source_type": "SMS", "sms_number": sms})
	if ticket.get("email_account"):
		return frappe.db.get_value(
			"CC Ticket Source", {**enabled, "source_type": "Email", "email_account": ticket.email_account}
		)
	if ticket.get("via_customer_portal"):
		return frappe.db.get_value("CC Ticket Source", {**enabled, "source_type": "Web Form"})
	return None


def apply_source_rules(ticket, method=None) -> None:
	"""HD Ticket ``before_insert``: team, source and weight from the source's keyword filters."""
	name = find_source(ticket)
	if not name:
		return
	source = frappe.get_cached_doc("CC Ticket Source", name)
	routing = route(
		source_of(source),
		Message(
			subject=ticket.get("subject") or "",
			body=strip_html(ticket.get("description") or ""),
			sender=ticket.get("raised_by") or "",
		),
	)
	ticket.cc_source = name
	ticket.cc_weight = routing.weight
	ticket.cc_channel = ticket.get("cc_channel") or CHANNELS.get(source.source_type)
	if not ticket.get("agent_group") and routing.team:
		ticket.agent_group = routing.team
	ticket.flags.cc_routing = routing.reason
