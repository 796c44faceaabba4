"""`bench --site SITE callcenter demo`: a small, working call center to look around in.

Everything is created only where it is missing (found by name), so the command can be run again; nothing
that exists is changed. What it makes:

- announcements "Demo Welcome", "Demo Closed", "Demo Menu" and "Demo Invalid" (a short chime each: the
  site has no recorded voice; replace the audio in the desk), and the routes of ``ROUTES`` through the same
  import as ``callcenter import-routes``: a number +37052000100 → VIP check → office hours (Mon–Fri
  08:00–17:00, two holidays) → welcome → menu (1 sales, 2 support) → queues; after hours → closed message
  → voicemail;
- three agents (demo-ann, demo-ben, demo-cid @example.com) with the Agent and Operator roles, an HD Agent
  each, a SIP account each (extensions from 1001, random secrets) and places in the queues (levels: Ann
  first for support, Ben first for sales);
- an HD Team "Demo Support" with the three agents, tied to the support queue;
- ten contacts with Lithuanian mobile numbers, and a preview campaign "Demo Outbound" (Mon–Fri
  09:00–20:00, the sales queue, the three agents as operators) whose call list holds them.

Users get no password: set one with ``bench --site SITE set-password demo-ann@example.com``.
"""

from __future__ import annotations

import io
import json
import math
import secrets
import wave
from collections.abc import Callable

import frappe

from callcenter_app.common import roles
from callcenter_app.telephony.routing.records import sound_name

DOMAIN = "example.com"
AGENTS = (
	# (user name, first name, {queue: level}); level 1 rings first
	("demo-ann", "Ann", {"demo-support": 1, "demo-sales": 2}),
	("demo-ben", "Ben", {"demo-support": 2, "demo-sales": 1}),
	("demo-cid", "Cid", {"demo-support": 2, "demo-sales": 2}),
)
ROLES = (roles.AGENT, roles.OPERATOR)
ANNOUNCEMENTS = ("Demo Welcome", "Demo Closed", "Demo Menu", "Demo Invalid")
TEAM = "Demo Support"
CAMPAIGN = "Demo Outbound"
CONTACTS = (
	("Ona", "Kazlauskienė", "+37061000001"),
	("Jonas", "Petrauskas", "+37061000002"),
	("Rūta", "Jankauskaitė", "+37061000003"),
	("Tomas", "Stankevičius", "+37061000004"),
	("Eglė", "Vasiliauskienė", "+37061000005"),
	("Mantas", "Žukauskas", "+37061000006"),
	("Laura", "Butkutė", "+37061000007"),
	("Darius", "Paulauskas", "+37061000008"),
	("Greta", "Urbonaitė", "+37061000009"),
	("Paulius", "Kavaliauskas", "+37061000010"),
)


def routes() -> dict:
	"""The demo's routes JSON (docs/routes-json.md)."""
	weekdays = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
	return {
		"format": "callcenter_app.routes",
		"version": 1,
		"timezone": "Europe/Vilnius",
		"default_region": "LT",
		"numbers": [{"number": "+37052000100", "route": "Demo Main"}],
		"routes": [
			{
				"name": "Demo Main",
				"start": "vip",
				"nodes": [
					{
						"id": "vip",
						"type": "vip",
						"label": "Key accounts first",
						"vip_list": "Demo Key Accounts",
						"branches": {"vip": "q_support", "not_vip": "hours"},
					},
					{
						"id": "hours",
						"type": "time_condition",
						"label": "Office hours",
						"time_condition": "Demo Office Hours",
						"branches": {"met": "welcome", "not_met": "closed"},
					},
					{
						"id": "welcome",
						"type": "announcement",
						"announcement": "Demo Welcome",
						"branches": {"next": "menu"},
					},
					{
						"id": "menu",
						"type": "ivr",
						"label": "1 sales, 2 support",
						"ivr_menu": "Demo Menu",
						"branches": {
							"1": "q_sales",
							"2": "q_support",
							"timeout": "q_support",
							"invalid": "q_support",
						},
					},
					{
						"id": "q_sales",
						"type": "queue",
						"queue": "demo-sales",
						"branches": {"overflow": "q_support"},
					},
					{
						"id": "q_support",
						"type": "queue",
						"queue": "demo-support",
						"branches": {"overflow": "vm"},
					},
					{
						"id": "closed",
						"type": "announcement",
						"announcement": "Demo Closed",
						"branches": {"next": "vm"},
					},
					{"id": "vm", "type": "voicemail", "mailbox": "100"},
				],
			}
		],
		"time_conditions": [
			{
				"name": "Demo Office Hours",
				"timezone": "Europe/Vilnius",
				"holiday_list": "Demo Holidays",
				"blocks": [{"day": day, "start": "08:00", "end": "17:00"} for day in weekdays],
			}
		],
		"holiday_lists": [
			{
				"name": "Demo Holidays",
				"holidays": [
					{"date": "2026-12-24", "description": "Christmas Eve"},
					{"date": "2026-12-25", "description": "Christmas Day"},
				],
			}
		],
		"vip_lists": [{"name": "Demo Key Accounts", "numbers": ["+37061000001"]}],
		"ivr_menus": [
			{
				"name": "Demo Menu",
				"prompt": sound_name("Demo Menu"),
				"invalid_prompt": sound_name("Demo Invalid"),
				"timeout": 5,
				"retries": 2,
				"max_digits": 1,
			}
		],
		"announcements": [
			{"name": name, "file": sound_name(name)} for name in ("Demo Welcome", "Demo Closed")
		],
		"queues": [{"name": "demo-sales", "max_wait": 300}, {"name": "demo-support", "max_wait": 600}],
	}


def chime(seconds: float = 1.2, rate: int = 8000) -> bytes:
	"""A two-note chime as 8 kHz mono 16-bit WAV: a stand-in for a recorded announcement."""
	frames = bytearray()
	n = int(seconds * rate)
	for i in range(n):
		freq = 660.0 if i < n // 2 else 880.0
		fade = min(1.0, (n - i) / (0.1 * rate), i / (0.01 * rate) if i else 0.0)
		sample = int(8000 * fade * math.sin(2 * math.pi * freq * i / rate))
		frames += sample.to_bytes(2, "little", signed=True)
	buf = io.BytesIO()
	with wave.open(buf, "wb") as w:
		w.setnchannels(1)
		w.setsampwidth(2)
		w.setframerate(rate)
		w.writeframes(bytes(frames))
	return buf.getvalue()


def install_demo(say: Callable[[str], None] = print) -> dict[str, int]:
	"""Create what is missing of the demo; returns how many records of each kind were created."""
	from callcenter_app.telephony.routing.service import import_routes

	made: dict[str, int] = {}

	def created(doctype: str, n: int = 1) -> None:
		made[doctype] = made.get(doctype, 0) + n

	for name in ANNOUNCEMENTS:
		if not frappe.db.exists("CC Announcement", name):
			slug = name.lower().replace(" ", "-")
			file = frappe.get_doc(
				{"doctype": "File", "file_name": f"{slug}.wav", "content": chime(), "is_private": 1}
			).insert(ignore_permissions=True)
			frappe.get_doc(
				{"doctype": "CC Announcement", "announcement_name": name, "audio": file.file_url}
			).insert(ignore_permissions=True)
			created("CC Announcement")
	say("announcements ready")

	counts = import_routes(json.dumps(routes()))
	for doctype, n in counts["created"].items():
		created(doctype, n)
	say("routes, time condition, holidays, VIP list, IVR menu and queues imported")

	users = []
	for username, first_name, _levels in AGENTS:
		email = f"{username}@{DOMAIN}"
		users.append(email)
		if not frappe.db.exists("User", email):
			frappe.get_doc(
				{
					"doctype": "User",
					"email": email,
					"first_name": first_name,
					"send_welcome_email": 0,
					"user_type": "System User",
				}
			).insert(ignore_permissions=True)
			created("User")
		user = frappe.get_doc("User", email)
		missing = [r for r in ROLES if r not in {x.role for x in user.roles}]
		if missing:
			user.flags.ignore_permissions = True
			user.add_roles(*missing)
		if not frappe.db.exists("HD Agent", email):
			frappe.get_doc(
				{"doctype": "HD Agent", "user": email, "agent_name": first_name, "is_active": 1}
			).insert(ignore_permissions=True)
			created("HD Agent")
		if not frappe.db.exists("CC SIP Account", username):
			frappe.get_doc(
				{
					"doctype": "CC SIP Account",
					"username": username,
					"user": email,
					"display_name": first_name,
					"enabled": 1,
					"secret": secrets.token_urlsafe(18),
					"max_contacts": 2,
				}
			).insert(ignore_permissions=True)
			created("CC SIP Account")
	say("agents with SIP accounts ready")

	for queue_name in ("demo-sales", "demo-support"):
		queue = frappe.get_doc("CC Call Queue", queue_name)
		present = {row.agent for row in queue.members}
		for username, _first, levels in AGENTS:
			email = f"{username}@{DOMAIN}"
			if email not in present:
				queue.append(
					"members", {"agent": email, "sip_account": username, "level": levels[queue_name]}
				)
		if len(queue.members) != len(present):
			queue.save(ignore_permissions=True)
	say("queue members ready")

	if not frappe.db.exists("HD Team", TEAM):
		frappe.get_doc(
			{"doctype": "HD Team", "team_name": TEAM, "users": [{"user": u} for u in users]}
		).insert(ignore_permissions=True)
		created("HD Team")
	if not frappe.db.get_value("CC Call Queue", "demo-support", "hd_team"):
		frappe.db.set_value("CC Call Queue", "demo-support", "hd_team", TEAM)

	contacts = []
	for first, last, phone in CONTACTS:
		name = frappe.db.get_value("Contact", {"first_name": first, "last_name": last})
		if not name:
			contact = frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": first,
					"last_name": last,
					"phone_nos": [{"phone": phone, "is_primary_phone": 1, "is_primary_mobile_no": 1}],
				}
			).insert(ignore_permissions=True)
			name = contact.name
			created("Contact")
		contacts.append((name, f"{first} {last}", phone))
	say("contacts ready")

	if not frappe.db.exists("CC Campaign", CAMPAIGN):
		frappe.get_doc(
			{
				"doctype": "CC Campaign",
				"campaign_name": CAMPAIGN,
				"status": "Active",
				"direction": "Outbound",
				"dialer_mode": "Preview",
				"call_queue": "demo-sales",
				"caller_id": "+37052000100",
				"default_timezone": "Europe/Vilnius",
				"windows": [{"weekdays": "Mon-Fri", "start_time": "09:00:00", "end_time": "20:00:00"}],
				"max_attempts": 3,
				"check_dnc": 1,
				"operators": [{"user": u, "active": 1} for u in users],
				"description": "The demo's call list: ten contacts, preview dialing.",
			}
		).insert(ignore_permissions=True)
		created("CC Campaign")
	listed = set(frappe.get_all("CC Campaign Contact", {"campaign": CAMPAIGN}, pluck="phone"))
	for contact, full_name, phone in contacts:
		if phone not in listed:
			frappe.get_doc(
				{
					"doctype": "CC Campaign Contact",
					"campaign": CAMPAIGN,
					"phone": phone,
					"full_name": full_name,
					"contact": contact,
				}
			).insert(ignore_permissions=True)
			created("CC Campaign Contact")
	say("campaign and call list ready")
	return made
