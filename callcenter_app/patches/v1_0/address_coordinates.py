"""Address gets cc_latitude/cc_longitude and their index (choosing contacts by area, issue 15)."""

import frappe


def execute():
	from callcenter_app.install import ensure_custom_fields, ensure_geo_index

	# Patches run before after_migrate creates the custom fields: make these (and the index) first.
	if not frappe.db.has_column("Address", "cc_latitude") or not frappe.db.has_column(
		"Address", "cc_longitude"
	):
		ensure_custom_fields(("Address",))
	ensure_geo_index()
