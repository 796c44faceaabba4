import frappe

from callcenter_app.common.validators import known_timezones


@frappe.whitelist()
def timezones() -> list[str]:
	"""Time zone names for the CC Settings form."""
	frappe.has_permission("CC Settings", "read", throw=True)
	return known_timezones()
