"""Idempotent set-up run after install and after every migrate."""

import frappe

# Roles of the product. Helpdesk's own "Agent" and "Agent Manager" roles stay as Helpdesk defines them.
ROLES = (
	"Call Center Manager",  # the administrator of one call center (one site)
	"Project Manager",  # runs campaigns and their call lists
	"Operator",  # makes and takes calls in campaigns
	"Field Agent",  # visits customers at geo-referenced appointments
	"Agent Supervisor",  # listens in, reassigns, watches queues
	"Privileged Agent",  # may search and open every ticket
	"Accountant",  # reconciles top-ups and the credit ledger
)


def after_install():
	ensure_roles()


def after_migrate():
	ensure_roles()


def ensure_roles() -> None:
	for role_name in ROLES:
		if frappe.db.exists("Role", role_name):
			continue
		frappe.get_doc({"doctype": "Role", "role_name": role_name, "desk_access": 1}).insert(
			ignore_permissions=True
		)
