# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""PBX Agents: every SIP account with its registration (from the AMI bridge), the agent's login and work
mode, and the queues they sit in with their levels."""

import frappe
from frappe import _

from callcenter_app.telephony.notices.service import sip_registrations

REGISTRATION_LABELS = {
	"registered": "Registered",
	"unreachable": "Unreachable",
	"unregistered": "Not registered",
}


def execute(filters=None):
	return columns(), rows()


def columns() -> list[dict]:
	return [
		{
			"fieldname": "sip_account",
			"label": _("SIP account"),
			"fieldtype": "Link",
			"options": "CC SIP Account",
			"width": 120,
		},
		{"fieldname": "agent", "label": _("Agent"), "fieldtype": "Link", "options": "User", "width": 200},
		{"fieldname": "registration", "label": _("Registration"), "fieldtype": "Data", "width": 130},
		{"fieldname": "rtt_ms", "label": _("RTT (ms)"), "fieldtype": "Float", "precision": 1, "width": 90},
		{"fieldname": "user_agent", "label": _("Phone"), "fieldtype": "Data", "width": 150},
		{"fieldname": "logged_in", "label": _("Logged in"), "fieldtype": "Check", "width": 90},
		{
			"fieldname": "work_mode",
			"label": _("Work mode"),
			"fieldtype": "Link",
			"options": "CC Work Mode",
			"width": 120,
		},
		{"fieldname": "since", "label": _("Since"), "fieldtype": "Datetime", "width": 160},
		{"fieldname": "queues", "label": _("Queues (level)"), "fieldtype": "Data", "width": 220},
	]


def rows() -> list[dict]:
	registrations = sip_registrations()
	agents = {
		a.user: a
		for a in frappe.get_all(
			"HD Agent", fields=["user", "cc_logged_in", "cc_work_mode", "cc_status_since"]
		)
	}
	seats: dict[str, list[str]] = {}
	for m in frappe.get_all(
		"CC Call Queue Member",
		filters={"parenttype": "CC Call Queue"},
		fields=["parent", "agent", "level"],
		order_by="parent, level, position",
	):
		seats.setdefault(m.agent, []).append(f"{m.parent} ({m.level or 0})")
	out = []
	for account in frappe.get_all(
		"CC SIP Account", filters={"enabled": 1}, fields=["name", "user"], order_by="name"
	):
		reg = registrations.get(account.name) or {}
		agent = agents.get(account.user) or {}
		out.append(
			{
				"sip_account": account.name,
				"agent": account.user,
				"registration": _(REGISTRATION_LABELS.get(reg.get("status"), "Unknown")),
				"rtt_ms": reg.get("rtt_ms"),
				"user_agent": reg.get("user_agent"),
				"logged_in": agent.get("cc_logged_in") or 0,
				"work_mode": agent.get("cc_work_mode"),
				"since": agent.get("cc_status_since"),
				"queues": ", ".join(seats.get(account.user, [])),
			}
		)
	return out
