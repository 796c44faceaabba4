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


# Custom fields on Helpdesk's doctypes (extend, never fork). Created and updated idempotently.
CUSTOM_FIELDS = {
	"HD Agent": [
		{
			"fieldname": "cc_section",
			"fieldtype": "Section Break",
			"label": "Call center",
			"insert_after": "user_image",
		},
		{
			"fieldname": "cc_logged_in",
			"fieldtype": "Check",
			"label": "Logged in",
			"read_only": 1,
			"insert_after": "cc_section",
		},
		{
			"fieldname": "cc_work_mode",
			"fieldtype": "Link",
			"label": "Work mode",
			"options": "CC Work Mode",
			"read_only": 1,
			"insert_after": "cc_logged_in",
		},
		{
			"fieldname": "cc_status_since",
			"fieldtype": "Datetime",
			"label": "Since",
			"read_only": 1,
			"insert_after": "cc_work_mode",
		},
	],
	"HD Ticket": [
		{
			"fieldname": "cc_channel",
			"fieldtype": "Select",
			"label": "Channel",
			"options": "\nEmail\nPhone\nSMS\nWeb Form\nPortal",
			"insert_after": "agent_group",
			"in_standard_filter": 1,
		},
		{
			"fieldname": "cc_source",
			"fieldtype": "Link",
			"label": "Source",
			"options": "CC Ticket Source",
			"read_only": 1,
			"insert_after": "cc_channel",
		},
		{
			"fieldname": "cc_weight",
			"fieldtype": "Int",
			"label": "Source weight",
			"read_only": 1,
			"insert_after": "cc_source",
			"description": "Tickets from heavier sources are distributed first.",
		},
		{
			"fieldname": "cc_callback",
			"fieldtype": "Check",
			"label": "Call back",
			"description": "A missed call: the customer is waiting to be called back.",
			"insert_after": "cc_weight",
			"in_standard_filter": 1,
		},
	],
}

# Work modes a new call center starts with; the admin renames, adds and disables them freely.
DEFAULT_WORK_MODES = (
	{
		"mode_name": "Available",
		"receives_calls": 1,
		"receives_tickets": 1,
		"counts_as_work": 1,
		"is_default": 1,
	},
	{"mode_name": "Phone only", "receives_calls": 1, "receives_tickets": 0, "counts_as_work": 1},
	{"mode_name": "Back office", "receives_calls": 0, "receives_tickets": 1, "counts_as_work": 1},
	{"mode_name": "Break", "receives_calls": 0, "receives_tickets": 0, "counts_as_work": 0},
)


# The user menu (Navbar Settings): phone presence and transfer from any desk page (public/js/callcenter.js).
NAVBAR_ITEMS = (
	{"item_label": "Phone: log in / work mode", "item_type": "Action", "action": "callcenter.presence()"},
	{"item_label": "Transfer current call", "item_type": "Action", "action": "callcenter.transfer()"},
)


def after_install():
	after_migrate()


def after_migrate():
	ensure_roles()
	ensure_custom_fields()
	ensure_work_modes()
	ensure_navbar_items()


def ensure_navbar_items() -> None:
	"""Add the phone items to the user menu once; an admin who hides them keeps them hidden."""
	navbar = frappe.get_single("Navbar Settings")
	present = {row.item_label for row in navbar.settings_dropdown}
	missing = [item for item in NAVBAR_ITEMS if item["item_label"] not in present]
	if not missing:
		return
	for item in missing:
		navbar.append("settings_dropdown", {**item, "is_standard": 0})
	navbar.save(ignore_permissions=True)


def ensure_custom_fields() -> None:
	from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

	create_custom_fields(CUSTOM_FIELDS, ignore_validate=True, update=True)


def ensure_work_modes() -> None:
	"""Seed the default work modes on a site that has none (an admin who deleted some keeps that)."""
	if frappe.db.count("CC Work Mode"):
		return
	for mode in DEFAULT_WORK_MODES:
		frappe.get_doc({"doctype": "CC Work Mode", "enabled": 1, **mode}).insert(ignore_permissions=True)


def ensure_roles() -> None:
	for role_name in ROLES:
		if frappe.db.exists("Role", role_name):
			continue
		frappe.get_doc({"doctype": "Role", "role_name": role_name, "desk_access": 1}).insert(
			ignore_permissions=True
		)
