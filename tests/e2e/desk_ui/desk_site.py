"""Site-side setup for the desk UI walk-through (``desk_ui.js``): run inside a Frappe site by bench's Python
(``frappe.init(site); frappe.connect(); desk_site.setup()``, ``tests/e2e/desk_ui`` on PYTHONPATH; ``bench
execute`` refuses modules of apps that are not installed). Makes two agents and an
Agent Manager with passwords, two manual teams and one automatic team, tickets waiting in each (with
priority, age and reaction due), a contact with two numbers on one of the agent's tickets, two snoozed
tickets (one the agent's own, one a colleague's) and a SIP account for the agent. Idempotent: it first
removes the tickets it made before, so every run starts from the same state. Commits; returns JSON.

This file imports ``frappe``: it is tooling for a real bench, never imported by the pure suite.
"""

from __future__ import annotations

import frappe
from frappe.desk.form.assign_to import add as assign
from frappe.utils import add_to_date, now_datetime
from frappe.utils.password import update_password

DOMAIN = "desk-ui.example"
PASSWORD = "Desk-UI-walk-2026"
ANA, BEN, MIA = (f"{n}@{DOMAIN}" for n in ("ana", "ben", "mia"))
SUPPORT, SALES, AUTO = "UI Support", "UI Sales", "UI Auto"
TAG = "[ui] "  # every ticket this script makes starts with it


def _user(email: str, first: str, roles: tuple[str, ...]) -> None:
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first,
				"send_welcome_email": 0,
				"user_type": "System User",
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.add_roles(*[r for r in roles if r not in {x.role for x in user.roles}])
	update_password(email, PASSWORD)


def _agent(email: str) -> None:
	if not frappe.db.exists("HD Agent", email):
		frappe.get_doc(
			{"doctype": "HD Agent", "user": email, "agent_name": email.split("@")[0].title(), "is_active": 1}
		).insert(ignore_permissions=True)


def _team(name: str, members: list[str], mode: str, buffer: int) -> None:
	if frappe.db.exists("HD Team", name):
		team = frappe.get_doc("HD Team", name)
	else:
		team = frappe.get_doc({"doctype": "HD Team", "team_name": name}).insert(ignore_permissions=True)
		team.reload()
	team.set("users", [{"user": m} for m in members])
	team.cc_distribution = mode
	team.cc_default_buffer = buffer
	team.save(ignore_permissions=True)


def _ticket(subject: str, team: str, hours_old: float, priority: str | None = None, **values) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "HD Ticket",
			"subject": TAG + subject,
			"raised_by": values.pop("raised_by", "customer@example.com"),
			"agent_group": team,
			**({"priority": priority} if priority else {}),
			**values,
		}
	)
	doc.flags.cc_no_distribution = True
	doc.insert(ignore_permissions=True)
	created = add_to_date(now_datetime(), hours=-hours_old)
	frappe.db.set_value("HD Ticket", doc.name, {"creation": created, "opening_date": created.date()})
	return doc.name


def setup() -> dict:
	from callcenter_app.telephony.presence.service import set_presence

	frappe.set_user("Administrator")
	frappe.db.set_single_value("System Settings", "country", "Lithuania")
	_user(ANA, "Ana", ("Agent",))
	_user(BEN, "Ben", ("Agent",))
	_user(MIA, "Mia", ("Agent", "Agent Manager"))
	for email in (ANA, BEN, MIA):
		_agent(email)
	if not frappe.db.exists("CC SIP Account", "ui-ana"):
		frappe.get_doc(
			{
				"doctype": "CC SIP Account",
				"username": "ui-ana",
				"user": ANA,
				"enabled": 1,
				"secret": "a-long-sip-secret-ui",
				"max_contacts": 2,
			}
		).insert(ignore_permissions=True)

	old = frappe.get_all("HD Ticket", filters={"subject": ["like", TAG + "%"]}, pluck="name")
	for name in old:
		frappe.db.delete("ToDo", {"reference_type": "HD Ticket", "reference_name": name})
		frappe.delete_doc("HD Ticket", name, force=True, ignore_permissions=True)

	_team(SUPPORT, [ANA, BEN], "Manual", 4)
	_team(SALES, [ANA], "Manual", 2)
	_team(AUTO, [BEN], "Automatic", 2)
	set_presence(BEN, False)  # "Distribute now" finds ben away, then available (desk_ui.js logs him in)

	priorities = frappe.get_all("HD Ticket Priority", pluck="name")
	high = "High" if "High" in priorities else None
	urgent = "Urgent" if "Urgent" in priorities else high
	support = [
		_ticket(
			"Invoice shows the wrong VAT number", SUPPORT, 5.5, "Medium" if "Medium" in priorities else None
		),
		_ticket("Cannot log in to the customer portal", SUPPORT, 3.2, high),
		_ticket("Router keeps restarting every hour", SUPPORT, 1.1, urgent),
		_ticket("Change of delivery address", SUPPORT, 0.4),
	]
	frappe.db.set_value("HD Ticket", support[0], "cc_weight", 0)
	frappe.db.set_value("HD Ticket", support[2], "cc_weight", 5)
	frappe.db.set_value("HD Ticket", support[0], "cc_reaction_due", add_to_date(now_datetime(), hours=-1.5))
	frappe.db.set_value("HD Ticket", support[1], "cc_reaction_due", add_to_date(now_datetime(), minutes=35))
	frappe.db.set_value("HD Ticket", support[3], "cc_reaction_due", add_to_date(now_datetime(), hours=6))
	sales = [
		_ticket("Quote for 40 seats", SALES, 26, high),
		_ticket("Upgrade to the yearly plan", SALES, 2),
	]
	auto = [_ticket(f"Automatic team ticket {i}", AUTO, 1 + i) for i in range(3)]

	contact = frappe.db.get_value("Contact", {"first_name": "Rūta", "last_name": "Ui"}, "name")
	if not contact:
		contact = (
			frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": "Rūta",
					"last_name": "Ui",
					"email_ids": [{"email_id": f"ruta@{DOMAIN}", "is_primary": 1}],
					"phone_nos": [
						{"phone": "+370 600 12345", "is_primary_mobile_no": 1},
						{"phone": "8 5 2123456", "is_primary_phone": 1},
					],
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
	mine = _ticket("Parcel arrived damaged", SUPPORT, 0.8, high, contact=contact, raised_by=f"ruta@{DOMAIN}")
	assign({"assign_to": [ANA], "doctype": "HD Ticket", "name": mine}, ignore_permissions=True)
	frappe.db.set_value(
		"HD Ticket",
		mine,
		{"cc_reaction_due": add_to_date(now_datetime(), minutes=50), "cc_handling_seconds": 1260},
	)

	snoozed = {}
	for who, subject, hours, reason in (
		(ANA, "Waiting for the courier's report", 20, "Courier answers by tomorrow noon"),
		(BEN, "Refund after the return arrives", 48, "Return parcel on its way"),
	):
		name = _ticket(subject, SUPPORT, 30)
		assign({"assign_to": [who], "doctype": "HD Ticket", "name": name}, ignore_permissions=True)
		frappe.db.set_value(
			"HD Ticket",
			name,
			{
				"cc_snoozed": 1,
				"cc_snoozed_until": add_to_date(now_datetime(), hours=hours),
				"cc_snoozed_by": who,
				"cc_snooze_reason": reason,
			},
		)
		snoozed[who] = name
	frappe.db.commit()  # nosemgrep: a setup script for a walk-through site
	return {
		"users": {"agent": ANA, "colleague": BEN, "manager": MIA, "password": PASSWORD},
		"support": support,
		"sales": sales,
		"auto": auto,
		"mine": mine,
		"snoozed": snoozed,
	}


def presence(user: str, logged_in: int = 1) -> dict:
	from callcenter_app.telephony.presence.service import set_presence

	frappe.set_user("Administrator")
	set_presence(user, bool(int(logged_in)), "Available" if int(logged_in) else None)
	frappe.db.commit()  # nosemgrep: a setup script for a walk-through site
	return {"user": user, "logged_in": int(logged_in)}


def state(ticket: str) -> dict:
	row = frappe.db.get_value(
		"HD Ticket",
		ticket,
		["name", "_assign", "cc_snoozed", "cc_snoozed_until", "cc_snooze_reason"],
		as_dict=True,
	)
	return {k: str(v) if v is not None else None for k, v in row.items()}
