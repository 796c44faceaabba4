"""The browser check's records on a bench site, and what it reads back. Run with the bench's Python from
the bench's sites folder (PYTHONPATH = this repository):

	cd frappe-bench/sites && PYTHONPATH=/path/to/repo ../env/bin/python /path/to/repo/tests/e2e/helpdesk/fixtures.py \
		hd.localhost setup --ami-port 15038 --sms-url http://127.0.0.1:18025/send
	... fixtures.py hd.localhost state TICKET          # the ticket's snooze, assignees, SMS messages (JSON)
	... fixtures.py hd.localhost subject TICKET TEXT   # the ticket's subject (the header check's long title)
	... fixtures.py hd.localhost ring                  # the AMI bridge's ringing notice for the agent
	... fixtures.py hd.localhost queue                 # a new ticket waiting in the manual team

``setup`` makes (or refreshes) an agent with a password and a SIP account, a contact with a mobile number,
a ticket of that contact assigned to the agent, a manual team with the agent in it and one ticket waiting,
CC Settings' AMI pointed at the lab's peer and Frappe's SMS Settings at the lab's gateway (lab.py).
"""

from __future__ import annotations

import argparse
import json

import frappe

AGENT = "hdui.agent@example.com"
PASSWORD = "Hd-Ui-Agent-2026!"
SIP = "hdui2001"
PHONE = "+37061234567"
CONTACT_EMAIL = "hdui.caller@example.com"
TEAM = "HDUI Manual Team"


def setup(ami_port: int, sms_url: str) -> dict:
	from frappe.utils.password import update_password

	from callcenter_app.helpdesk_ui.service import ensure_form_script
	from callcenter_app.telephony.presence.service import set_presence
	from callcenter_app.test_utils import (
		SMS_NUMBER,
		make_agent,
		make_sms_gateway,
		make_sms_settings,
		make_team,
	)

	ensure_form_script()  # the ticket actions as this checkout has them (migrate does the same)
	make_agent(AGENT, sip_account=SIP)
	frappe.db.set_value("CC SIP Account", SIP, "webrtc", 1)  # the phone bar's account
	# the phone bar on, towards Asterisk's WebSocket on this machine (the lab's PBX, when it runs)
	frappe.db.set_single_value(
		"CC Settings", {"webrtc_enabled": 1, "webrtc_ws_url": "ws://127.0.0.1:8088/ws"}
	)
	update_password(AGENT, PASSWORD)
	frappe.db.set_value("User", AGENT, "first_name", "Hilda")
	contact = frappe.db.get_value("Contact", {"email_id": CONTACT_EMAIL}, "name")
	if not contact:
		contact = (
			frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": "Vida",
					"last_name": "Caller",
					"email_ids": [{"email_id": CONTACT_EMAIL, "is_primary": 1}],
					"phone_nos": [{"phone": PHONE, "is_primary_mobile_no": 1}],
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
	make_team(TEAM, cc_distribution="Manual", cc_default_buffer=50)
	team = frappe.get_doc("HD Team", TEAM)
	if AGENT not in {u.user for u in team.users}:
		team.append("users", {"user": AGENT})
		team.save(ignore_permissions=True)
	settings = frappe.get_single("CC Settings")
	settings.update(
		{
			"pbx_enabled": 1,
			"ami_host": "127.0.0.1",
			"ami_port": ami_port,
			"ami_username": "cc",
			"ami_secret": "s3cret-pass",
		}
	)
	settings.save(ignore_permissions=True)
	make_sms_settings()
	make_sms_gateway(sms_url)
	set_presence(AGENT, True, None, source="Desk")
	ticket = frappe.get_doc(
		{
			"doctype": "HD Ticket",
			"subject": "Router keeps rebooting",
			"raised_by": CONTACT_EMAIL,
			"contact": contact,
			"description": "The router restarts every hour since Monday.",
		}
	).insert(ignore_permissions=True)
	from frappe.desk.form.assign_to import add

	add({"assign_to": [AGENT], "doctype": "HD Ticket", "name": ticket.name}, ignore_permissions=True)
	waiting = queue()
	frappe.db.commit()
	return {
		"agent": AGENT,
		"password": PASSWORD,
		"ticket": ticket.name,
		"waiting": waiting["ticket"],
		"phone": PHONE,
		"sms_number": SMS_NUMBER,
		"team": TEAM,
	}


def queue() -> dict:
	doc = frappe.get_doc(
		{
			"doctype": "HD Ticket",
			"subject": "Invoice copy needed",
			"raised_by": "queued.customer@example.com",
			"agent_group": TEAM,
			"description": "Please send me the March invoice again.",
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return {"ticket": doc.name}


def state(ticket: str) -> dict:
	row = frappe.db.get_value(
		"HD Ticket",
		ticket,
		[
			"name",
			"subject",
			"status",
			"cc_snoozed",
			"cc_snoozed_until",
			"cc_snooze_reason",
			"cc_snoozed_by",
			"_assign",
		],
		as_dict=True,
	)
	sms = frappe.get_all(
		"CC SMS Message",
		filters={"ticket": ticket},
		fields=["name", "direction", "status", "recipient", "body", "sent_by"],
		order_by="creation",
	)
	return {"ticket": row, "assignees": json.loads(row._assign or "[]"), "sms": sms}


def subject(ticket: str, text: str) -> dict:
	"""A ticket's subject (the header check's long title), as Helpdesk's subject dialog sets it."""
	frappe.db.set_value("HD Ticket", ticket, "subject", text)
	frappe.db.commit()
	return {"ticket": ticket, "subject": text}


def ring() -> dict:
	from callcenter_app.telephony.notices.service import publish_notices

	notice = {
		"kind": "ringing",
		"interface": f"PJSIP/{SIP}",
		"linkedid": "1760000000.42",
		"caller": PHONE,
		"caller_name": "",
		"queue": "support",
	}
	publish_notices([notice])
	frappe.db.commit()
	return notice


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("site")
	parser.add_argument("what", choices=("setup", "state", "subject", "ring", "queue"))
	parser.add_argument("ticket", nargs="?")
	parser.add_argument("text", nargs="?")
	parser.add_argument("--ami-port", type=int, default=15038)
	parser.add_argument("--sms-url", default="http://127.0.0.1:18025/send")
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		if args.what == "setup":
			out = setup(args.ami_port, args.sms_url)
		elif args.what == "state":
			out = state(args.ticket)
		elif args.what == "subject":
			out = subject(args.ticket, args.text)
		elif args.what == "ring":
			out = ring()
		else:
			out = queue()
		print(json.dumps(out, default=str))
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
