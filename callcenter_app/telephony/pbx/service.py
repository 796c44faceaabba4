"""Frappe glue for the PBX checks and sounds: what the site expects (queues, sounds the routes play, SIP
accounts), and the announcements' uploaded audio."""

from __future__ import annotations

import frappe

from callcenter_app.telephony.pbx.check import Expected


def announcement_audio() -> list[tuple[str, str, bytes]]:
	"""(announcement, sound name, uploaded audio) of every CC Announcement with a file."""
	out = []
	for a in frappe.get_all("CC Announcement", fields=["name", "sound_name", "audio"], order_by="name"):
		file_name = frappe.db.get_value("File", {"file_url": a.audio}, "name") if a.audio else None
		if not file_name or not a.sound_name:
			continue
		content = frappe.get_doc("File", file_name).get_content()
		if isinstance(content, str):
			content = content.encode("latin-1", "replace")
		out.append((a.name, a.sound_name, content))
	return out


def expected() -> Expected:
	used = set()
	for field in ("prompt", "invalid_prompt", "timeout_prompt"):
		used.update(frappe.get_all("CC IVR Menu", filters={field: ["is", "set"]}, pluck=field))
	used.update(
		frappe.get_all("CC Route Node", filters={"announcement": ["is", "set"]}, pluck="announcement")
	)
	sounds = frappe.get_all(
		"CC Announcement", filters={"name": ["in", list(used) or [""]]}, pluck="sound_name"
	)
	from callcenter_app.telephony.asterisk_config.service import tenant_prefix
	from callcenter_app.telephony.tenant import Tenant

	tenant = Tenant(tenant_prefix())  # queues, contexts and endpoints come back stripped; files do not
	return Expected(
		queues=tuple(sorted(frappe.get_all("CC Call Queue", pluck="name"))),
		sounds=tuple(sorted(tenant.sound(s) for s in sounds if s)),
		endpoints=tuple(sorted(frappe.get_all("CC SIP Account", filters={"enabled": 1}, pluck="username"))),
	)
