"""Existing Contact Phone rows get cc_e164 (their number in E.164), so the indexed caller lookup finds them."""

import frappe


def execute():
	from callcenter_app.install import ensure_custom_fields
	from callcenter_app.telephony.call_tickets.service import fill_phone_keys

	# Patches run before after_migrate creates the custom fields: make this one (and its index) first.
	# (Only when missing: creating it alters the table, which commits.)
	if not frappe.db.has_column("Contact Phone", "cc_e164"):
		ensure_custom_fields(("Contact Phone",))
	fill_phone_keys()
