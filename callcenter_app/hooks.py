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
after_install = "callcenter_app.install.after_install"
after_migrate = "callcenter_app.install.after_migrate"

# Document events
# ---------------
# Routing records: FastAGI servers reload their routes after any change (telephony/service.py).
_reload_routes = {
	"on_update": "callcenter_app.telephony.service.bump_routes_version",
	"on_trash": "callcenter_app.telephony.service.bump_routes_version",
	"after_rename": "callcenter_app.telephony.service.bump_routes_version",
}
doc_events = {doctype: dict(_reload_routes) for doctype in _ROUTING_DOCTYPES}
# Queue members changed (levels, positions, who): Asterisk's logged-in members follow after commit.
doc_events["CC Call Queue"]["on_update"] = [
	"callcenter_app.telephony.service.bump_routes_version",
	"callcenter_app.telephony.presence.service.on_queue_update",
]

# New tickets: the source's keyword filters choose the team and set the weight (tickets/service.py).
doc_events["HD Ticket"] = {"before_insert": "callcenter_app.tickets.service.apply_source_rules"}

# Permissions
# -----------
# Agents see their own status periods; supervisors everyone's.
permission_query_conditions = {
	"CC Agent Status Log": "callcenter_app.callcenter_app.doctype.cc_agent_status_log.cc_agent_status_log.permission_query_conditions",
}
has_permission = {
	"CC Agent Status Log": "callcenter_app.callcenter_app.doctype.cc_agent_status_log.cc_agent_status_log.has_permission",
}

# Desk assets
# -----------
# The incoming-call popup and the phone actions (click-to-call, transfer, listen) on every desk page.
app_include_js = "/assets/callcenter_app/js/callcenter.js"
doctype_js = {"Contact": "public/js/contact.js"}

# Scheduled jobs
# --------------
scheduler_events = {
	"cron": {
		# calls a failure or an outage left without their ticket
		"*/5 * * * *": ["callcenter_app.telephony.call_tickets.service.link_pending_calls"],
	},
}
