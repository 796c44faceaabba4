"""Frappe glue for render-asterisk: the records the generated configuration is made from."""

from __future__ import annotations

import frappe

from callcenter_app.utils import child_rows


def tenant_prefix() -> str:
	"""CC Settings' tenant prefix: '' for a site alone on its PBX (telephony/tenant.py)."""
	return frappe.db.get_single_value("CC Settings", "tenant_prefix") or ""


def asterisk_inputs(agi_host: str | None = None):
	"""SIP accounts (with their secrets decrypted), call queues and the AGI address for render-asterisk."""
	from frappe.utils.password import get_decrypted_password

	from callcenter_app.telephony.asterisk_config.render import AgiTarget, CallQueue, QueueMember, SipAccount

	accounts = [
		SipAccount(
			username=a.username,
			secret=get_decrypted_password("CC SIP Account", a.name, "secret", raise_exception=False) or "",
			display_name=a.display_name or "",
			enabled=bool(a.enabled),
			webrtc=bool(a.webrtc),
			max_contacts=int(a.max_contacts or 1),
			codecs=tuple(c.strip() for c in (a.codecs or "ulaw,alaw").split(",") if c.strip()),
			extension=a.extension or "",
		)
		for a in frappe.get_all(
			"CC SIP Account",
			fields=[
				"name",
				"username",
				"display_name",
				"enabled",
				"webrtc",
				"max_contacts",
				"codecs",
				"extension",
			],
			order_by="name",
		)
	]
	members = child_rows(
		"CC Call Queue Member", "CC Call Queue", ["interface", "sip_account", "level", "position", "agent"]
	)
	full_names = {
		u.name: u.full_name
		for u in frappe.get_all(
			"User",
			filters={
				"name": ["in", [m["agent"] for ms in members.values() for m in ms if m["agent"]] or [""]]
			},
			fields=["name", "full_name"],
		)
	}
	queues = [
		CallQueue(
			name=q.name,
			strategy=q.strategy or "linear",
			ring_timeout=int(q.ring_timeout or 15),
			retry=int(q.retry or 0),
			wrapup_time=int(q.wrapup_time or 0),
			max_wait=int(q.max_wait or 300),
			record=bool(q.record_calls),
			members=tuple(
				QueueMember(
					interface=m["interface"] or f"PJSIP/{m['sip_account']}",
					level=int(m["level"] or 0),
					position=int(m["position"] or 0),
					name=(full_names.get(m["agent"]) or "").replace(",", " "),
				)
				for m in members.get(q.name, [])
			),
		)
		for q in frappe.get_all(
			"CC Call Queue",
			fields=["name", "strategy", "ring_timeout", "retry", "wrapup_time", "max_wait", "record_calls"],
			order_by="name",
		)
	]
	agi = AgiTarget(
		host=agi_host or frappe.db.get_single_value("CC Settings", "agi_bind_address") or "127.0.0.1",
		port=int(frappe.db.get_single_value("CC Settings", "agi_port") or 4573),
	)
	return accounts, queues, agi


def webrtc_settings():
	"""CC Settings' Asterisk HTTP/TLS/DTLS values for render-asterisk, or None when the phone bar is off
	(then no http.conf and no WebSocket transport are written)."""
	from callcenter_app.telephony.asterisk_config.browser import webrtc_from_settings

	s = frappe.get_single("CC Settings")
	return webrtc_from_settings(s.as_dict()) if s.get("webrtc_enabled") else None
