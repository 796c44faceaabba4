"""Sites that had CC Settings before the phone bar: its new fields get their defaults (a Single's existing
record keeps 0 and empty for fields added later, and render-asterisk would refuse port 0)."""

import frappe

DEFAULTS = {
	"asterisk_http_bind": "127.0.0.1",
	"asterisk_http_port": 8088,
	"asterisk_tls_bind": "0.0.0.0",
	"asterisk_tls_port": 8089,
}


def execute():
	for field, value in DEFAULTS.items():
		if not frappe.db.get_single_value("CC Settings", field):
			frappe.db.set_single_value("CC Settings", field, value)
