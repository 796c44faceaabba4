"""Frappe glue for calls → tickets (rules in ``call_tickets/rules.py``): find the caller's contact by
normalised number, their open ticket, then create or join it and put the call on its timeline.

Each finished call is handled once: the CC Call Log row is locked, its ``ticket`` set (or ``ticket_checked``
when no ticket is due), all in the writer's transaction. The AMI bridge's writer calls
``link_calls_to_tickets`` right after the upsert; a scheduled job catches any call left behind (a failure
there is logged; the call log itself is already safe).
"""

from __future__ import annotations

import logging

import frappe
from frappe import _
from frappe.utils import escape_html

from callcenter_app.common.phones import caller_key, stored_key
from callcenter_app.telephony.call_tickets.rules import TicketRules, ticket_action, timeline_text

log = logging.getLogger("callcenter.tickets")
CALL_FIELDS = [
	"name",
	"linkedid",
	"status",
	"direction",
	"caller",
	"caller_name",
	"queue",
	"agent",
	"answered_by",
	"wait_s",
	"talk_s",
	"recording",
	"complete",
	"ticket",
	"ticket_checked",
	"contact",
	"reference_ticket",
	"did",
	"start",
	"end",
	"answered_at",
]


def ticket_rules() -> TicketRules:
	settings = frappe.get_cached_doc("CC Settings")
	return TicketRules(
		for_answered=bool(settings.ticket_for_answered_calls),
		for_missed=bool(settings.ticket_for_missed_calls),
	)


def open_ticket_statuses() -> list[str]:
	"""Helpdesk ≥ 1.5 has HD Ticket Status records with a category; v1.4 has fixed options."""
	if frappe.db.exists("DocType", "HD Ticket Status"):
		return frappe.get_all(
			"HD Ticket Status", filters={"category": ["in", ["Open", "Paused"]]}, pluck="name"
		)
	return ["Open", "Replied"]


def readable_open_tickets(contact: str, limit: int, user: str | None = None) -> list[frappe._dict]:
	"""The Contact's open HD Tickets that ``user`` (default: the session user) may read, newest first."""
	tickets = frappe.get_list(
		"HD Ticket",
		filters={"contact": contact, "status": ["in", open_ticket_statuses()]},
		fields=["name", "subject", "status", "modified"],
		order_by="modified desc",
		limit=limit,
		user=user,
	)
	return [t for t in tickets if frappe.has_permission("HD Ticket", "read", doc=t.name, user=user)]


def contact_for_number(number: str) -> str | None:
	"""The Contact whose phone numbers include ``number`` once both are normalised (E.164); the most
	recently modified when several share it. Stored numbers may be written any way ("8 600 00001"): each
	Contact Phone row keeps its E.164 form in the indexed ``cc_e164`` (set_phone_keys, the v1_0 patch), so
	this is one index lookup. A number that cannot be normalised matches only rows holding its exact text."""
	from callcenter_app.utils import default_region

	key = caller_key(number, default_region())
	if key is None:
		return None
	value, normalised = key
	column = "cp.cc_e164" if normalised else "cp.phone"
	rows = frappe.db.sql(
		f"""select cp.parent from `tabContact Phone` cp join `tabContact` c on c.name = cp.parent
		where {column} = %s and cp.parenttype = 'Contact' order by c.modified desc limit 1""",
		(value,),
	)
	return rows[0][0] if rows else None


def ticket_numbers(ticket: str) -> list[dict]:
	"""The numbers to call a ticket's customer on (the ticket form's Call), each once by its E.164 form:
	the phone rows of the ticket's contact (or of the contact whose email raised it), primary mobile and
	primary phone first. Each is ``{number, label}``."""
	from callcenter_app.common.phones import try_normalize
	from callcenter_app.utils import default_region

	region = default_region()
	row = frappe.db.get_value("HD Ticket", ticket, ["contact", "raised_by"], as_dict=True) or frappe._dict()
	sender = (row.raised_by or "").strip()
	contact = row.contact
	if not contact and "@" in sender:
		contact = frappe.db.get_value("Contact", {"email_id": sender}, "name") or frappe.db.get_value(
			"Contact Email", {"parenttype": "Contact", "email_id": sender}, "parent"
		)
	out: list[dict] = []
	seen: set[str] = set()

	def add(number: str | None, label: str) -> None:
		number = (number or "").strip()
		key = try_normalize(number, region) or number
		if number and key not in seen:
			seen.add(key)
			out.append({"number": number, "label": label})

	if contact:
		who = frappe.db.get_value("Contact", contact, "full_name") or contact
		for phone in frappe.get_all(
			"Contact Phone",
			filters={"parenttype": "Contact", "parent": contact},
			fields=["phone", "is_primary_mobile_no", "is_primary_phone"],
			order_by="is_primary_mobile_no desc, is_primary_phone desc, idx asc",
		):
			kind = _("Mobile") if phone.is_primary_mobile_no else _("Phone")
			add(phone.phone, f"{kind} · {who}")
	return out


def set_phone_keys(doc, method=None) -> None:
	"""Contact ``validate``: each phone row's ``cc_e164`` follows its number, read in the site's country.
	A number that cannot be normalised leaves it empty and never blocks the save."""
	from callcenter_app.utils import default_region

	region = default_region()
	for row in doc.get("phone_nos") or []:
		row.cc_e164 = stored_key(row.phone, region)


def fill_phone_keys(batch_size: int = 5000, progress=print) -> int:
	"""Set ``cc_e164`` on every Contact Phone row from its number (the patch and a new install; safe to run
	again: each run recomputes the same values). One UPDATE per batch of rows; returns the rows changed."""
	from callcenter_app.utils import default_region

	region = default_region()
	total = frappe.db.count("Contact Phone", {"parenttype": "Contact"})
	last, seen, changed = "", 0, 0
	while True:
		rows = frappe.db.sql(
			"""select name, phone, cc_e164 from `tabContact Phone` where parenttype = 'Contact' and name > %s
			order by name limit %s""",
			(last, batch_size),
		)
		if not rows:
			break
		last = rows[-1][0]
		seen += len(rows)
		updates = [
			(name, key) for name, phone, old in rows if (key := stored_key(phone, region)) != (old or None)
		]
		if updates:
			cases = " ".join(["when %s then %s"] * len(updates))
			frappe.db.sql(
				f"""update `tabContact Phone` set cc_e164 = case name {cases} end
				where name in ({", ".join(["%s"] * len(updates))})""",
				[v for pair in updates for v in pair] + [name for name, _ in updates],
			)
			changed += len(updates)
		if progress:
			progress(f"Contact Phone cc_e164: {seen}/{total} rows read, {changed} updated")
	return changed


def open_ticket_for(contact: str) -> str | None:
	return frappe.db.get_value(
		"HD Ticket",
		{"contact": contact, "status": ["in", open_ticket_statuses()]},
		"name",
		order_by="modified desc",
	)


def ensure_contact(number: str, name: str = "") -> str:
	existing = contact_for_number(number)
	if existing:
		return existing
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": (name or number)[:140],
			"phone_nos": [{"phone": number, "is_primary_phone": 1, "is_primary_mobile_no": 1}],
		}
	)
	contact.insert(ignore_permissions=True)
	return contact.name


def team_of_queue(queue: str | None) -> str | None:
	return frappe.db.get_value("CC Call Queue", queue, "hd_team") if queue else None


def link_call(name: str) -> str | None:
	"""Create or join a ticket for one CC Call Log if the rules say so; returns the ticket's name."""
	call = frappe.db.get_value("CC Call Log", name, CALL_FIELDS, as_dict=True, for_update=True)
	if not call or call.ticket or call.ticket_checked:
		return None
	open_ticket = None
	if call.reference_ticket and frappe.db.exists("HD Ticket", call.reference_ticket):  # click-to-call
		open_ticket = call.reference_ticket
	contact = call.contact or (contact_for_number(call.caller) if call.caller else None)
	if contact and not open_ticket:
		open_ticket = open_ticket_for(contact)
	action = ticket_action(call, ticket_rules(), open_ticket)
	if action.kind == "none":
		if call.complete:
			frappe.db.set_value("CC Call Log", name, "ticket_checked", 1, update_modified=False)
		return None
	if action.kind == "create":
		contact = contact or ensure_contact(call.caller, call.caller_name)
		from callcenter_app.tickets.service import find_source

		ticket = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": action.subject[:140],
				"contact": contact,
				"raised_by": frappe.db.get_value("Contact", contact, "email_id") or None,
				"cc_channel": "Phone",
				"cc_callback": 1 if action.callback else 0,
			}
		)
		ticket.flags.cc_call_queue = call.queue or None  # a Phone CC Ticket Source of the queue routes it
		if not find_source(ticket):
			ticket.agent_group = team_of_queue(call.queue)  # else the queue's own helpdesk team
		ticket.insert(ignore_permissions=True)
		ticket_name = ticket.name
	else:
		ticket_name = open_ticket
		if action.callback:
			frappe.db.set_value("HD Ticket", ticket_name, "cc_callback", 1)
	add_timeline(ticket_name, call, action.callback)
	if call.agent and call.answered_at:  # an agent spoke with the customer: a reaction on the ticket
		from callcenter_app.tickets.service import record_reaction
		from callcenter_app.utils import to_utc

		record_reaction(ticket_name, "call", to_utc(call.answered_at))
	frappe.db.set_value(
		"CC Call Log",
		name,
		{"ticket": ticket_name, "ticket_checked": 1, "contact": contact or call.contact},
		update_modified=False,
	)
	mirror_quietly(call, ticket_name)
	return ticket_name


def mirror_quietly(call: dict, ticket: str) -> None:
	"""The mirror is a convenience: a telephony-app version that refuses it never costs the ticket."""
	savepoint = "cc_tp_call_log"
	frappe.db.savepoint(savepoint)
	try:
		mirror_to_telephony_app(call, ticket)
	except Exception:
		frappe.db.rollback(save_point=savepoint)
		log.exception("call %s: TP Call Log not written", call.get("linkedid"))


def add_timeline(ticket: str, call: dict, callback: bool) -> None:
	text = escape_html(timeline_text(call, callback))
	link = f'<a href="/app/cc-call-log/{escape_html(call["name"])}">{escape_html(_("Call log"))}</a>'
	frappe.get_doc(
		{
			"doctype": "HD Ticket Comment",
			"reference_ticket": ticket,
			"commented_by": call.get("agent") or "Administrator",
			"content": f"<p>📞 {text} {link}</p>",
		}
	).insert(ignore_permissions=True)


def link_calls_to_tickets(names: list[str]) -> dict[str, int]:
	"""Each call in its own savepoint: one failing ticket never undoes the others or the call logs."""
	counts = {"linked": 0, "skipped": 0, "failed": 0}
	for name in names:
		savepoint = f"cc_ticket_{abs(hash(name)) % 10**8}"
		frappe.db.savepoint(savepoint)
		try:
			counts["linked" if link_call(name) else "skipped"] += 1
		except Exception:
			frappe.db.rollback(save_point=savepoint)
			counts["failed"] += 1
			log.exception("call %s: ticket not created", name)
	return counts


def link_pending_calls() -> None:
	"""Scheduled: finished calls of the last two days not yet looked at (a failure or an outage)."""
	names = frappe.get_all(
		"CC Call Log",
		filters={
			"complete": 1,
			"ticket_checked": 0,
			"creation": [">", frappe.utils.add_days(frappe.utils.now_datetime(), -2)],
		},
		pluck="name",
		limit=500,
	)
	if names:  # the job runner commits when the job returns
		counts = link_calls_to_tickets(names)
		log.info("pending calls → tickets: %s", counts)


# --- the telephony app (optional) -----------------------------------------------------------------------

TP_STATUS = {
	"answered": "Completed",
	"missed": "No Answer",
	"abandoned": "Canceled",
	"voicemail": "No Answer",
	"failed": "Failed",
}


def mirror_to_telephony_app(call: dict, ticket: str) -> None:
	"""When Frappe's ``telephony`` app is installed, a TP Call Log linked to the ticket makes the call
	show in Helpdesk's own call views. Fields and options are read from its meta, so a version that
	lacks one simply gets less."""
	if not frappe.db.exists("DocType", "TP Call Log"):
		return
	meta = frappe.get_meta("TP Call Log")
	if frappe.db.exists("TP Call Log", call["linkedid"]):
		return
	inbound = call.get("direction") == "inbound"
	values = {
		"id": call["linkedid"],
		# the record's caller is the customer in both directions, its did the call center's number
		"from": (call.get("caller") if inbound else call.get("did") or call.get("agent")) or "anonymous",
		"to": call.get("did") if inbound else call.get("caller"),
		"type": "Incoming" if inbound else "Outgoing",
		"status": TP_STATUS.get(call.get("status")),
		"duration": call.get("talk_s") or 0,
		"medium": "Asterisk",
		"start_time": call.get("start"),
		"end_time": call.get("end"),
		"receiver": call.get("agent") if inbound else None,
		"caller": None if inbound else call.get("agent"),
		"reference_doctype": "HD Ticket",  # older telephony versions; newer ones use the links table
		"reference_docname": ticket,
	}
	doc = {"doctype": "TP Call Log"}
	for key, value in values.items():
		field = meta.get_field(key)
		if field is None or value in (None, ""):
			continue
		if field.fieldtype == "Select" and str(value) not in (field.options or "").split("\n"):
			continue
		doc[key] = value
	tp = frappe.get_doc(doc)
	if meta.get_field("links"):
		tp.append("links", {"link_doctype": "HD Ticket", "link_name": ticket})
	tp.insert(ignore_permissions=True)
