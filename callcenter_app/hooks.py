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
