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
