"""Frappe glue for the AMI bridge's live notices (``presence/notices.py``): the incoming-call popup goes to
the agent rung alone, with the caller's contact and the open tickets that agent may read; SIP registration
changes go to a cache hash the PBX Agents report reads."""

from __future__ import annotations

import frappe

from callcenter_app.telephony.presence.service import agents_by_interface

SIP_STATUS_KEY = "callcenter:sip_registrations"


def publish_notices(notices: list[dict]) -> None:
	"""The bridge's ``notify``: ring notices go to the agent rung alone, with the caller's contact and open
	tickets (phone numbers are never broadcast); registration changes go to a cache hash the PBX Agents
	report reads; wallboard notices go to the wallboard's aggregator (metrics/service.py)."""
	from callcenter_app.metrics.service import feed_wallboard

	feed_wallboard([n["event"] for n in notices if n["kind"] == "wallboard"])
	notices = [n for n in notices if n["kind"] != "wallboard"]
	agents = agents_by_interface() if notices else {}
	for notice in notices:
		if notice["kind"] == "registration":
			frappe.cache().hset(SIP_STATUS_KEY, notice["endpoint"], {**notice, "at": frappe.utils.now()})
			continue
		user = agents.get(notice["interface"])
		if not user:
			continue
		payload = {**notice, **caller_context(notice.get("caller") or "", user)}
		frappe.publish_realtime("callcenter:call", payload, user=user)


def caller_context(number: str, user: str) -> dict:
	"""The caller's contact and their open tickets the agent may read (for the incoming-call popup)."""
	from callcenter_app.telephony.call_tickets.service import contact_for_number, readable_open_tickets

	contact = contact_for_number(number) if number else None
	if not contact:
		return {"contact": None, "contact_name": None, "tickets": []}
	readable = readable_open_tickets(contact, limit=5, user=user)
	return {
		"contact": contact,
		"contact_name": frappe.db.get_value("Contact", contact, "full_name") or contact,
		"tickets": [{"name": t.name, "subject": t.subject, "status": t.status} for t in readable],
	}


def sip_registrations() -> dict[str, dict]:
	"""SIP account → its last registration notice (Redis hands the hash keys back as bytes)."""
	raw = frappe.cache().hgetall(SIP_STATUS_KEY) or {}
	return {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
