"""Idempotent set-up run after install and after every migrate."""

import frappe

from callcenter_app.common import roles
from callcenter_app.common.notify.rules import KINDS as NOTIFY_KINDS

# Roles of the product (common/roles.py). Helpdesk's own "Agent" and "Agent Manager" stay as Helpdesk has them.
ROLES = tuple(roles.PRODUCT_ROLES)


# Custom fields on Helpdesk's doctypes (extend, never fork). Created and updated idempotently.
def _notify_switches() -> list[dict]:
	"""One Check per kind of desk notification (common/notify), in the order the kinds are listed."""
	fields, after = [], "cc_notify_section"
	for kind, label in NOTIFY_KINDS.items():
		fields.append(
			{
				"fieldname": f"cc_notify_{kind}",
				"fieldtype": "Check",
				"label": label,
				"default": "1",
				"insert_after": after,
			}
		)
		after = f"cc_notify_{kind}"
	return fields


CUSTOM_FIELDS = {
	# Frappe's Contact phone rows: the number in E.164, indexed, so a caller is found by one index lookup
	# (telephony/call_tickets/service.py: contact_for_number, set_phone_keys, fill_phone_keys).
	"Contact Phone": [
		{
			"fieldname": "cc_e164",
			"fieldtype": "Data",
			"label": "Number (E.164)",
			"read_only": 1,
			"hidden": 1,
			"search_index": 1,
			"no_copy": 1,
			"insert_after": "is_primary_mobile_no",
		},
	],
	# An address's position (WGS84 degrees), indexed together (cc_geo_index, ensure_geo_index): choosing
	# contacts by area prefilters on it (geo/service.py). Set by a geocoder, an import or by hand.
	"Address": [
		{
			"fieldname": "cc_latitude",
			"fieldtype": "Float",
			"label": "Latitude",
			"precision": "7",
			"no_copy": 1,
			"insert_after": "pincode",
		},
		{
			"fieldname": "cc_longitude",
			"fieldtype": "Float",
			"label": "Longitude",
			"precision": "7",
			"no_copy": 1,
			"insert_after": "cc_latitude",
		},
	],
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
		{
			"fieldname": "cc_previous_ticket",
			"fieldtype": "Link",
			"label": "Previous ticket",
			"options": "HD Ticket",
			"read_only": 1,
			"insert_after": "cc_callback",
			"description": "The closed ticket this one continues (a reply to a closed ticket).",
		},
		{
			"fieldname": "cc_merged_into",
			"fieldtype": "Link",
			"label": "Merged into",
			"options": "HD Ticket",
			"read_only": 1,
			"insert_after": "cc_previous_ticket",
		},
		{
			"fieldname": "cc_handling_section",
			"fieldtype": "Section Break",
			"label": "Reaction and handling time",
			"insert_after": "cc_merged_into",
			"collapsible": 1,
		},
		{
			"fieldname": "cc_reaction_due",
			"fieldtype": "Datetime",
			"label": "Reaction due",
			"read_only": 1,
			"insert_after": "cc_handling_section",
		},
		{
			"fieldname": "cc_reacted_at",
			"fieldtype": "Datetime",
			"label": "First reaction",
			"read_only": 1,
			"insert_after": "cc_reaction_due",
		},
		{
			"fieldname": "cc_reaction_breached",
			"fieldtype": "Check",
			"label": "Reaction time breached",
			"read_only": 1,
			"insert_after": "cc_reacted_at",
			"in_standard_filter": 1,
		},
		{
			# common/notify/service.py flag_resolution_breaches: told once
			"fieldname": "cc_resolution_breached",
			"fieldtype": "Check",
			"label": "Resolution time breached",
			"read_only": 1,
			"no_copy": 1,
			"insert_after": "cc_reaction_breached",
		},
		{
			"fieldname": "cc_handling_column",
			"fieldtype": "Column Break",
			"insert_after": "cc_resolution_breached",
		},
		{
			"fieldname": "cc_handling_seconds",
			"fieldtype": "Duration",
			"label": "Handling time (counted statuses)",
			"read_only": 1,
			"insert_after": "cc_handling_column",
			"description": "Total time in the statuses CC Settings counts, up to the last status change.",
		},
		{
			"fieldname": "cc_status_since",
			"fieldtype": "Datetime",
			"label": "Status since",
			"read_only": 1,
			"insert_after": "cc_handling_seconds",
		},
		{
			"fieldname": "cc_snooze_section",
			"fieldtype": "Section Break",
			"label": "Snooze",
			"insert_after": "cc_status_since",
			"collapsible": 1,
		},
		{
			"fieldname": "cc_snoozed",
			"fieldtype": "Check",
			"label": "Snoozed",
			"read_only": 1,
			"search_index": 1,
			"in_standard_filter": 1,
			"insert_after": "cc_snooze_section",
		},
		{
			"fieldname": "cc_snoozed_until",
			"fieldtype": "Datetime",
			"label": "Snoozed until",
			"read_only": 1,
			"insert_after": "cc_snoozed",
		},
		{
			"fieldname": "cc_snoozed_by",
			"fieldtype": "Link",
			"label": "Snoozed by",
			"options": "User",
			"read_only": 1,
			"insert_after": "cc_snoozed_until",
		},
		{
			"fieldname": "cc_snooze_reason",
			"fieldtype": "Small Text",
			"label": "Snooze reason",
			"read_only": 1,
			"insert_after": "cc_snoozed_by",
		},
	],
	# Team policies: distribution, buffers, reaction time, grouping, replies to closed tickets.
	"HD Team": [
		{
			"fieldname": "cc_section",
			"fieldtype": "Section Break",
			"label": "Call center: distribution",
			"insert_after": "ignore_restrictions",
		},
		{
			"fieldname": "cc_distribution",
			"fieldtype": "Select",
			"label": "Distribution",
			"options": "\nAutomatic\nManual",
			"insert_after": "cc_section",
			"description": "Automatic: tickets go to logged-in agents below their buffer, heaviest source first, "
			"then oldest. Manual: agents pull from the team queue. Empty: Helpdesk's assignment rule.",
		},
		{
			"fieldname": "cc_default_buffer",
			"fieldtype": "Int",
			"label": "Default buffer",
			"default": "5",
			"non_negative": 1,
			"insert_after": "cc_distribution",
			"description": "The most open tickets of this team one agent holds, unless the agent has a row below.",
		},
		{
			"fieldname": "cc_team_lead",
			"fieldtype": "Link",
			"label": "Team lead",
			"options": "User",
			"insert_after": "cc_default_buffer",
		},
		{
			"fieldname": "cc_buffers",
			"fieldtype": "Table",
			"label": "Buffers per agent",
			"options": "CC Agent Buffer",
			"insert_after": "cc_team_lead",
		},
		{
			"fieldname": "cc_reaction_section",
			"fieldtype": "Section Break",
			"label": "Call center: reaction time",
			"insert_after": "cc_buffers",
		},
		{
			"fieldname": "cc_reaction_minutes",
			"fieldtype": "Int",
			"label": "Reaction time (business minutes)",
			"non_negative": 1,
			"insert_after": "cc_reaction_section",
			"description": "0: no reaction time. Counted in the working hours and holidays of the SLA below.",
		},
		{
			"fieldname": "cc_calendar_sla",
			"fieldtype": "Link",
			"label": "Working hours from SLA",
			"options": "HD Service Level Agreement",
			"insert_after": "cc_reaction_minutes",
			"description": "Its working hours and holiday list. Empty: the ticket's SLA, else round the clock.",
		},
		{
			"fieldname": "cc_reaction_column",
			"fieldtype": "Column Break",
			"insert_after": "cc_calendar_sla",
		},
		{
			"fieldname": "cc_react_reply",
			"fieldtype": "Check",
			"label": "A reply counts",
			"default": "1",
			"insert_after": "cc_reaction_column",
		},
		{
			"fieldname": "cc_react_call",
			"fieldtype": "Check",
			"label": "A call counts",
			"default": "1",
			"insert_after": "cc_react_reply",
		},
		{
			"fieldname": "cc_react_note",
			"fieldtype": "Check",
			"label": "A note counts",
			"insert_after": "cc_react_call",
		},
		{
			"fieldname": "cc_react_forward",
			"fieldtype": "Check",
			"label": "A forward counts",
			"insert_after": "cc_react_note",
		},
		{
			"fieldname": "cc_react_status_change",
			"fieldtype": "Check",
			"label": "A status change counts",
			"insert_after": "cc_react_forward",
		},
		{
			"fieldname": "cc_messages_section",
			"fieldtype": "Section Break",
			"label": "Call center: messages",
			"insert_after": "cc_react_status_change",
		},
		{
			"fieldname": "cc_grouping_window",
			"fieldtype": "Int",
			"label": "Grouping window (minutes)",
			"non_negative": 1,
			"insert_after": "cc_messages_section",
			"description": "Emails and SMS from the same sender within this window join one open ticket. 0: off.",
		},
		{
			"fieldname": "cc_closed_reply",
			"fieldtype": "Select",
			"label": "Reply to a closed ticket",
			"options": "Reopen\nNew linked ticket",
			"default": "Reopen",
			"insert_after": "cc_grouping_window",
		},
	],
	# Each user's switches for the call center's desk notifications (common/notify): on unless unticked.
	"Notification Settings": [
		{
			"fieldname": "cc_notify_section",
			"fieldtype": "Section Break",
			"label": "Call center",
			"insert_after": "enable_email_event_reminders",
			"description": "Which of the call center's notifications reach your notification bar (and, per the email settings above, your inbox). Assignments are Frappe's own.",
		},
		*_notify_switches(),
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


def before_install():
	"""Rebuild this process's module map before Frappe syncs the app's doctypes.

	``bench install-app`` reads the map of apps → modules into ``frappe.local`` when it connects, from Redis
	when the site's cache has it. On a site that was in use before the app was added to the bench, that map
	predates the app; install_app clears Redis but syncs from the map already read, so none of the app's
	doctypes got a table and after_install failed ("Table 'tabCC Work Mode' doesn't exist"). The cache is
	empty here (install_app cleared it), so the map is built afresh from apps.txt.
	"""
	frappe.setup_module_map()


def after_install():
	after_migrate()
	# Contacts made before the app was installed (patches are not run on install).
	from callcenter_app.telephony.call_tickets.service import fill_phone_keys

	fill_phone_keys()


def after_migrate():
	ensure_naming_series()
	ensure_roles()
	ensure_custom_fields()
	ensure_phone_index()
	ensure_geo_index()
	ensure_call_log_indexes()
	ensure_work_modes()
	ensure_navbar_items()
	ensure_status_rules()
	ensure_preset_filters()
	ensure_single_defaults()
	ensure_outcomes()
	ensure_field_menu()
	ensure_helpdesk_tools()
	# daily backups with files, a week kept (ops/tasks.py)
	from callcenter_app.ops.tasks import ensure_backup_defaults

	ensure_backup_defaults()


def ensure_helpdesk_tools() -> None:
	"""The ticket actions in Helpdesk's agent UI: the app's HD Form Script (helpdesk_ui/service.py)."""
	from callcenter_app.helpdesk_ui.service import ensure_form_script

	ensure_form_script()


def ensure_field_menu() -> None:
	"""The Field Agents workspace, shown only while CC Settings has field agents (field/service.py)."""
	from callcenter_app.field.service import sync_field_menu

	sync_field_menu()


# The numbered names of the app's doctypes ("APT-.#####" → series "APT-"). Frappe inserts a series row the first
# time a name is taken, before the document's own checks run: two first bookings at once both inserted it and
# one died of a deadlock instead of reading the clear refusal. With the rows there, the second waits on the
# first's row lock and then sees its booking.
NAMING_SERIES = ("APT-", "BSI-", "BSL-", "CLE-", "CRA-", "PEV-", "SMS-", "TOP-")


def ensure_naming_series() -> None:
	for prefix in NAMING_SERIES:
		frappe.db.sql("insert ignore into `tabSeries` (`name`, `current`) values (%s, 0)", prefix)


def ensure_phone_index() -> None:
	"""An index on Contact Phone's own number: a caller ID that cannot be read as E.164 is looked up by its
	exact text (contact_for_number), which must not scan a million rows either."""
	frappe.db.add_index("Contact Phone", ["phone"], index_name="cc_phone_index")


def ensure_geo_index() -> None:
	"""The area query's indexes (geo/service.find_contacts), both covering, so no table row is read:
	Address (cc_latitude, cc_longitude, disabled) — the latitude range, the longitude and disabled checked in
	the index, the name (primary key) in it too; Dynamic Link (parent, parenttype, link_doctype, link_name) —
	an address's Contacts."""
	if frappe.db.sql(
		"show index from `tabAddress` where Key_name = 'cc_geo_index' and Column_name = 'disabled'"
	):
		pass
	elif frappe.db.sql("show index from `tabAddress` where Key_name = 'cc_geo_index'"):
		frappe.db.sql_ddl("alter table `tabAddress` drop index cc_geo_index")
	frappe.db.add_index("Address", ["cc_latitude", "cc_longitude", "disabled"], index_name="cc_geo_index")
	frappe.db.add_index(
		"Dynamic Link",
		["parent", "parenttype", "link_doctype", "link_name"],
		index_name="cc_link_parent_index",
	)


# CC Call Log indexes for the reports and the export (benchmarks/RESULTS.md, issue 17): the queue report
# reads only this index's columns (a covering index: the table's wide rows are never read), the export and
# every date range start at ``start``; the agent reports read one agent's calls in a range.
CALL_LOG_INDEXES = {
	"cc_queue_report": [
		"start",
		"direction",
		"queue",
		"status",
		"queue_result",
		"wait_s",
		"talk_s",
		"campaign",
	],
	"cc_agent_start": ["agent", "start"],
}


def ensure_call_log_indexes() -> None:
	for name, fields in CALL_LOG_INDEXES.items():
		frappe.db.add_index("CC Call Log", fields, index_name=name)


def ensure_outcomes() -> None:
	"""Create each outcome the dialer knows (dialer/hopper.py DEFAULT_RULES) that is missing, found by code.

	Existing outcomes are left as the admin set them; the known ones cannot be deleted, only disabled."""
	from callcenter_app.dialer.campaigns import default_outcomes

	present = set(frappe.get_all("CC Outcome", pluck="code"))
	for values in default_outcomes():
		if values["code"] in present:
			continue
		if frappe.db.exists("CC Outcome", values["outcome_name"]):  # the name is taken by another code
			values = {**values, "outcome_name": f"{values['outcome_name']} ({values['code']})"}
		frappe.get_doc({"doctype": "CC Outcome", **values}).insert(ignore_permissions=True)


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


def ensure_custom_fields(doctypes: tuple[str, ...] | None = None) -> None:
	"""Create or update the custom fields (of ``doctypes`` only, when given)."""
	from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

	fields = {dt: f for dt, f in CUSTOM_FIELDS.items() if doctypes is None or dt in doctypes}
	create_custom_fields(fields, ignore_validate=True, update=True)


def ensure_work_modes() -> None:
	"""Seed the default work modes on a site that has none (an admin who deleted some keeps that)."""
	if frappe.db.count("CC Work Mode"):
		return
	for mode in DEFAULT_WORK_MODES:
		frappe.get_doc({"doctype": "CC Work Mode", "enabled": 1, **mode}).insert(ignore_permissions=True)


def ensure_status_rules() -> None:
	"""Which ticket statuses count as handling time: filled once from the site's statuses (Open-category
	statuses count); statuses added later (newer Helpdesk) are appended as not counted."""
	from callcenter_app.tickets.service import default_status_rules

	present = set(frappe.get_all("CC Status Rule", filters={"parent": "CC Settings"}, pluck="status"))
	rules = [r for r in default_status_rules() if r["status"] not in present]
	for idx, rule in enumerate(rules, start=len(present) + 1):
		frappe.get_doc(
			{
				"doctype": "CC Status Rule",
				"parent": "CC Settings",
				"parenttype": "CC Settings",
				"parentfield": "status_rules",
				"idx": idx,
				"status": rule["status"],
				"counts": rule["counts"] if not present else 0,
			}
		).db_insert()
	if rules:
		frappe.clear_document_cache("CC Settings", "CC Settings")


# Quick filters in Helpdesk's agent app: snoozed tickets stay out of the active list.
PRESET_FILTERS = (
	(
		"My Active Tickets",
		[
			("Assigned To", "_assign", "is", "@me"),
			("Status", "status", "is", "Open"),
			("Snoozed", "cc_snoozed", "is", "0"),
		],
	),
	("My Snoozed Tickets", [("Assigned To", "_assign", "is", "@me"), ("Snoozed", "cc_snoozed", "is", "1")]),
)


def ensure_preset_filters() -> None:
	if not frappe.db.exists("DocType", "HD Preset Filter"):
		return
	for title, items in PRESET_FILTERS:
		if frappe.db.exists("HD Preset Filter", {"title": title, "reference_doctype": "HD Ticket"}):
			continue
		frappe.get_doc(
			{
				"doctype": "HD Preset Filter",
				"title": title,
				"reference_doctype": "HD Ticket",
				"type": "System",
				"filters": [
					{"label": label, "fieldname": field, "filter_type": op, "value": value}
					for label, field, op, value in items
				],
			}
		).insert(ignore_permissions=True)


# CC Settings checks whose default must hold on sites that had CC Settings before the field existed.
SINGLE_DEFAULTS = {
	"agents_see_own_teams_only": 1,
	"geocoder_url": "https://nominatim.openstreetmap.org",
	"geocoder_user_agent": "callcenter_app",
	"geocoder_min_interval": 1,
}


def ensure_single_defaults() -> None:
	for field, value in SINGLE_DEFAULTS.items():
		if not frappe.db.sql(
			"select 1 from `tabSingles` where doctype = 'CC Settings' and field = %s", (field,)
		):
			frappe.db.set_single_value("CC Settings", field, value)


def ensure_roles() -> None:
	for role_name in ROLES:
		if frappe.db.exists("Role", role_name):
			continue
		frappe.get_doc({"doctype": "Role", "role_name": role_name, "desk_access": 1}).insert(
			ignore_permissions=True
		)
