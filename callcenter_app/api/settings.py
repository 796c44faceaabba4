import frappe

from callcenter_app.common.validators import known_timezones


@frappe.whitelist()
def timezones() -> list[str]:
	"""Time zone names for the CC Settings and CC Time Condition forms."""
	if not (
		frappe.has_permission("CC Settings", "read") or frappe.has_permission("CC Time Condition", "read")
	):
		frappe.throw(frappe._("Not permitted"), frappe.PermissionError)
	return known_timezones()
