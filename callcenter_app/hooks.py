# underscore: Frappe turns every public name in hooks.py into a hook
from callcenter_app.telephony.routing.doctypes import ROUTING_DOCTYPES as _ROUTING_DOCTYPES

app_name = "callcenter_app"
app_title = "Callcenter App"
app_publisher = "callcenter_app developers"
app_description = "A cloud contact center on Frappe Helpdesk"
app_email = "dev@callcenter.invalid"
app_license = "agpl-3.0"

# Dependencies
# ------------
# The org/repo form: a bare "helpdesk" makes Frappe look the app up online during install-app.
required_apps = ["frappe/helpdesk"]

# Installation
# ------------
before_install = "callcenter_app.install.before_install"
after_install = "callcenter_app.install.after_install"
after_migrate = "callcenter_app.install.after_migrate"

# Document events
# ---------------
# Routing records: FastAGI servers reload their routes after any change (telephony/routing/service.py).
_reload_routes = {
	"on_update": "callcenter_app.telephony.routing.service.bump_routes_version",
	"on_trash": "callcenter_app.telephony.routing.service.bump_routes_version",
	"after_rename": "callcenter_app.telephony.routing.service.bump_routes_version",
}
doc_events = {doctype: dict(_reload_routes) for doctype in _ROUTING_DOCTYPES}
# Queue members changed (levels, positions, who): Asterisk's logged-in members follow after commit.
doc_events["CC Call Queue"]["on_update"] = [
	"callcenter_app.telephony.routing.service.bump_routes_version",
	"callcenter_app.telephony.presence.service.on_queue_update",
]

# Tickets (tickets/service.py, tickets/tasks.py): the source's keyword filters choose the team and weight;
# reaction due time and cumulative handling time; distribution when a ticket arrives, is reopened or
# resolved, or an agent's assignment closes; grouping and replies to closed tickets for incoming email.
doc_events["HD Ticket"] = {
	"before_insert": "callcenter_app.tickets.service.before_insert",
	"after_insert": [
		"callcenter_app.tickets.service.remember_new_ticket",
		"callcenter_app.common.notify.service.on_new_ticket",  # desk notifications (common/notify)
	],
	"before_save": "callcenter_app.tickets.service.before_save",
	"on_update": "callcenter_app.tickets.tasks.on_ticket_change",
}
doc_events["HD Team"] = {
	"validate": "callcenter_app.tickets.service.validate_team",
	"on_update": "callcenter_app.tickets.service.on_team_update",
}
doc_events["HD Ticket Comment"] = {"after_insert": "callcenter_app.tickets.service.on_ticket_comment"}
doc_events["Communication"] = {
	"before_insert": [
		# first, while the message still names the ticket the customer wrote on: a reply to a closed one
		"callcenter_app.common.notify.service.on_incoming_message",
		"callcenter_app.tickets.service.on_incoming_communication",
		# an agent's email on a ticket gets their CC Signature (tickets/signatures/service.py)
		"callcenter_app.tickets.signatures.service.sign_communication",
	],
	"after_insert": [
		"callcenter_app.tickets.service.on_communication",
		"callcenter_app.common.notify.service.on_message",
	],
}
# Helpdesk's mentions (its agent app shows them) reach the desk's notification bar too.
doc_events["HD Notification"] = {
	"after_insert": "callcenter_app.common.notify.service.on_helpdesk_notification"
}
# Helpdesk mails the reply text, not the Communication: the queued email gets the same signature.
doc_events["Email Queue"] = {"before_insert": "callcenter_app.tickets.signatures.service.sign_outgoing_email"}
doc_events["ToDo"] = {"on_update": "callcenter_app.tickets.tasks.on_todo_change"}
# Contact phone rows keep their E.164 form in the indexed cc_e164 (the caller lookup of calls, popups, SMS).
doc_events["Contact"] = {"validate": "callcenter_app.telephony.call_tickets.service.set_phone_keys"}
# Contacts' addresses get a position for geodialing (geo/service.py), in the background.
doc_events["Address"] = {"on_update": "callcenter_app.geo.service.on_address_update"}
# Prepaid credit: every posting may cross an account's low-balance threshold (notice once, re-armed by a top-up).
doc_events["CC Credit Ledger Entry"] = {
	"after_insert": "callcenter_app.credit.charging.service.on_ledger_entry"
}
# An agent who holds open tickets is deactivated, not deleted.
doc_events["HD Agent"] = {"on_trash": "callcenter_app.tickets.service.prevent_agent_deletion"}
doc_events["User"] = {
	"on_trash": "callcenter_app.tickets.service.prevent_agent_deletion",
	# another user's password only from a Call Center / System Manager (api/security.py)
	"validate": "callcenter_app.api.security.validate_user",
}
# A campaign's active operators sit in its call queue (presence/service.py campaign_seats): Asterisk follows.
# The Field Agents workspace follows CC Settings' has_field_agents (field/service.py sync_field_menu).
doc_events["CC Settings"] = {"on_update": "callcenter_app.field.service.sync_field_menu"}
doc_events["CC Campaign"] = {
	"on_update": "callcenter_app.telephony.presence.service.on_campaign_update",
	"on_trash": "callcenter_app.telephony.presence.service.on_campaign_update",
}

# Permissions
# -----------
# Agents see their own status periods; supervisors everyone's.
# Agents see their own and their teams' tickets; Privileged Agents, supervisors and managers all of them.
# Operators see their campaigns, their call lists and attempts, public callbacks and their own private ones.
# Calls: the ones an agent took, their campaigns' and their queues' inbound calls; supervisors all.
permission_query_conditions = {
	"CC Agent Status Log": "callcenter_app.callcenter_app.doctype.cc_agent_status_log.cc_agent_status_log.permission_query_conditions",
	"HD Ticket": "callcenter_app.tickets.service.ticket_query",
	"HD Ticket Comment": "callcenter_app.tickets.service.ticket_comment_query",
	# SMS messages follow their ticket
	"CC SMS Message": "callcenter_app.callcenter_app.doctype.cc_sms_message.cc_sms_message.permission_query_conditions",
	"CC Campaign": "callcenter_app.callcenter_app.doctype.cc_campaign.cc_campaign.permission_query_conditions",
	"CC Campaign Contact": "callcenter_app.callcenter_app.doctype.cc_campaign_contact.cc_campaign_contact.permission_query_conditions",
	"CC Callback": "callcenter_app.callcenter_app.doctype.cc_callback.cc_callback.permission_query_conditions",
	"CC Call Attempt": "callcenter_app.callcenter_app.doctype.cc_call_attempt.cc_call_attempt.permission_query_conditions",
	"CC Call Log": "callcenter_app.callcenter_app.doctype.cc_call_log.cc_call_log.permission_query_conditions",
	# Prepaid credit: Accountants and Call Center Managers see every account; a portal customer (an HD
	# Customer's contact) sees their own account, its entries and top-ups only (credit/service.py).
	"CC Credit Account": "callcenter_app.credit.service.account_query",
	"CC Credit Ledger Entry": "callcenter_app.credit.service.entry_query",
	"CC Top Up": "callcenter_app.credit.service.top_up_query",
	# Field agents read only their own appointments; operators the ones they booked or of their campaigns.
	"CC Appointment": "callcenter_app.field.service.appointment_query",
	"CC Field Agent": "callcenter_app.field.service.field_agent_query",
}
has_permission = {
	"CC Agent Status Log": "callcenter_app.callcenter_app.doctype.cc_agent_status_log.cc_agent_status_log.has_permission",
	"HD Ticket": "callcenter_app.tickets.service.ticket_permission",
	"HD Ticket Comment": "callcenter_app.tickets.service.ticket_comment_permission",
	"CC SMS Message": "callcenter_app.callcenter_app.doctype.cc_sms_message.cc_sms_message.has_permission",
	"CC Campaign": "callcenter_app.callcenter_app.doctype.cc_campaign.cc_campaign.has_permission",
	"CC Campaign Contact": "callcenter_app.callcenter_app.doctype.cc_campaign_contact.cc_campaign_contact.has_permission",
	"CC Callback": "callcenter_app.callcenter_app.doctype.cc_callback.cc_callback.has_permission",
	"CC Call Attempt": "callcenter_app.callcenter_app.doctype.cc_call_attempt.cc_call_attempt.has_permission",
	"CC Call Log": "callcenter_app.callcenter_app.doctype.cc_call_log.cc_call_log.has_permission",
	"CC Credit Account": "callcenter_app.credit.service.account_permission",
	"CC Credit Ledger Entry": "callcenter_app.credit.service.entry_permission",
	"CC Top Up": "callcenter_app.credit.service.top_up_permission",
	"CC Appointment": "callcenter_app.field.service.appointment_permission",
	"CC Field Agent": "callcenter_app.field.service.field_agent_permission",
}

# Portal and print formats
# ------------------------
# /credit (www/credit.py): a portal customer's balance, movements, top-ups and receipts.
portal_menu_items = [
	{"title": "Prepaid credit", "route": "/credit", "reference_doctype": "CC Credit Account"}
]
# amounts in minor units in print formats (the top-up receipt)
jinja = {"methods": ["callcenter_app.credit.service.cc_format_minor"]}

# Privacy
# -------
# Personal Data Deletion / Download requests also cover the customer's calls, SMS, recordings and call-list
# rows, found through their Contact's numbers (ops/personal_data/service.py); staff's own records by their user.
override_doctype_class = {
	"Personal Data Deletion Request": "callcenter_app.ops.personal_data.service.CCPersonalDataDeletionRequest",
	"Personal Data Download Request": "callcenter_app.ops.personal_data.service.CCPersonalDataDownloadRequest",
}
user_data_fields = [
	{"doctype": "CC Signature", "filter_by": "agent", "redact_fields": ["html"], "partial": 1},
	{"doctype": "CC Agent Status Log", "filter_by": "agent"},
	{"doctype": "CC SMS Message", "filter_by": "sent_by"},
]

# Desk assets
# -----------
# The incoming-call popup and the phone actions (click-to-call, transfer, listen) on every desk page.
app_include_js = [
	"/assets/callcenter_app/js/callcenter.js",
	# the WebRTC phone bar (public/js/phone/, built by bench build; docs/phone-bar.md)
	"phone_bar.bundle.js",
]
# the desk mounts the phone bar for users with a WebRTC CC SIP Account (api/phone.py boot)
extend_bootinfo = "callcenter_app.api.phone.boot"
doctype_js = {
	"Contact": "public/js/contact.js",
	# "Call", "Snooze", the handling time and "Send SMS" on the ticket's desk form (Helpdesk's agent app is a
	# Vue SPA we do not modify)
	"HD Ticket": "public/js/hd_ticket.js",
}
# The ticket list's Pull next ticket, Team Queue, Snoozed and Distribute now (api/tickets.py ticket_tools)
doctype_list_js = {"HD Ticket": "public/js/hd_ticket_list.js"}

# Helpdesk agent UI assets
# ------------------------
# /helpdesk is a www page with no include hook: the phone bar, the incoming-call popup and "Pull next ticket"
# go into its HTML for desk users only (helpdesk_ui/service.py; site config cc_helpdesk_tools: 0 turns it off).
after_request = ["callcenter_app.helpdesk_ui.service.inject_assets"]

# Scheduled jobs
# --------------
scheduler_events = {
	# a backup with files every day (ops/tasks.py; site config cc_daily_backup / cc_backup_with_files)
	"daily_long": [
		"callcenter_app.ops.tasks.daily_backup",
		# contacts' addresses still without a position, placed for geodialing (one geocoder request a second)
		"callcenter_app.geo.service.enqueue_geocode_addresses",
	],
	# recordings older than CC Settings' retention (ops/tasks.py; each deletion noted on its call)
	"daily": ["callcenter_app.ops.tasks.delete_expired_recordings"],
	"cron": {
		# calls a failure or an outage left without their ticket
		"*/5 * * * *": [
			"callcenter_app.telephony.call_tickets.service.link_pending_calls",
			# answered outbound calls charged to their credit account, each once
			"callcenter_app.credit.tasks.rate_calls",
			# open tickets past their reaction time: flagged, owner and team lead notified
			"callcenter_app.tickets.tasks.flag_reaction_breaches",
			# open tickets past Helpdesk's resolution time: flagged, assignees and team lead notified
			"callcenter_app.common.notify.service.flag_resolution_breaches",
		],
		# campaign contacts left Dialing by a killed dialer or an operator who walked away
		"*/15 * * * *": ["callcenter_app.dialer.service.release_stale_contacts"],
		# snoozed tickets whose time has come; a distribution pass as a safety net
		"* * * * *": [
			"callcenter_app.tickets.tasks.wake_snoozed_tickets",
			"callcenter_app.tickets.tasks.enqueue_distribution",
			# campaign callbacks and preview contacts whose time has come: their people are told, once
			"callcenter_app.common.notify.service.notify_due_callbacks",
			"callcenter_app.common.notify.service.notify_due_contacts",
		],
	},
}
