import frappe

from callcenter_app.common import roles
from callcenter_app.common.validators import known_timezones
from callcenter_app.utils import requires


@frappe.whitelist()
@requires(roles.DESK_USER)
def timezones() -> list[str]:
	"""Time zone names for the CC Settings, CC Time Condition, CC Campaign and CC Campaign Contact forms."""
	if not any(
		frappe.has_permission(doctype, "read")
		for doctype in ("CC Settings", "CC Time Condition", "CC Campaign", "CC Campaign Contact")
	):
		frappe.throw(frappe._("Not permitted"), frappe.PermissionError)
	return known_timezones()
