"""The phone bar's part of a lab site (``bench --site SITE execute __import__('desk_site').<function>``,
this directory and tests/e2e on PYTHONPATH), after ``bench_site.setup`` made the lab's users, accounts and
queues: the WebRTC account, CC Settings' phone bar, a desk password for the browser, and a known caller."""

from __future__ import annotations

import frappe
from bench_site import lab_user


def phone_bar(username: str, ws_url: str, password: str) -> dict:
	"""Tick WebRTC on ``username``'s CC SIP Account, turn the phone bar on with ``ws_url``, give its agent
	a desk password (the browser logs in with it). Returns what registration() would say about it."""
	account = frappe.get_doc("CC SIP Account", username)
	account.webrtc = 1
	account.max_contacts = 1
	account.save(ignore_permissions=True)
	settings = frappe.get_single("CC Settings")
	settings.update(
		{
			"webrtc_enabled": 1,
			"webrtc_ws_url": ws_url,
			"asterisk_http_bind": "127.0.0.1",
			"ice_servers": "",
		}
	)
	settings.save(ignore_permissions=True)
	user = lab_user(username)
	from frappe.utils.password import update_password

	update_password(user, password)
	frappe.get_doc("User", user).add_roles("Agent")
	frappe.db.commit()
	from callcenter_app.api.phone import registration_for

	got = registration_for(user)
	return {"user": user, "ws_url": got["ws_url"], "sip_uri": got["sip_uri"]}


def known_caller(number: str, name: str, subject: str) -> dict:
	"""A Contact with ``number`` and an open HD Ticket of theirs (what the phone bar's card shows)."""
	first, _, last = name.partition(" ")
	contact = frappe.db.get_value("Contact", {"first_name": first, "last_name": last}, "name")
	if not contact:
		doc = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": first,
				"last_name": last,
				"phone_nos": [{"phone": number, "is_primary_phone": 1}],
			}
		).insert(ignore_permissions=True)
		contact = doc.name
	ticket = frappe.db.get_value("HD Ticket", {"contact": contact, "subject": subject}, "name")
	if not ticket:
		ticket = (
			frappe.get_doc(
				{
					"doctype": "HD Ticket",
					"subject": subject,
					"raised_by": f"{first.lower()}@example.com",
					"contact": contact,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
	frappe.db.commit()
	return {"contact": contact, "ticket": str(ticket)}


def call_log(filters: dict, timeout: float = 25, complete: bool = True) -> dict | None:
	"""The newest CC Call Log matching ``filters`` (and complete), waiting up to ``timeout`` seconds."""
	import time

	from bench_site import CALL_LOG_FIELDS

	deadline = time.monotonic() + min(float(timeout), 30)
	while True:
		frappe.db.rollback()  # a fresh snapshot: the bridge writes from another connection
		rows = frappe.get_all(
			"CC Call Log",
			filters={**filters, **({"complete": 1} if complete else {})},
			fields=[*CALL_LOG_FIELDS, "campaign", "complete"],
			order_by="creation desc",
			limit=1,
		)
		if rows or time.monotonic() >= deadline:
			break
		time.sleep(0.5)
	if not rows:
		return None
	return {k: (v if isinstance(v, (int, float, str)) or v is None else str(v)) for k, v in rows[0].items()}
