"""Every CC SIP Account gets an extension (attended transfers dial it as key presses)."""

import frappe


def execute():
	from callcenter_app.callcenter_app.doctype.cc_sip_account.cc_sip_account import next_extension

	for name in frappe.get_all(
		"CC SIP Account", filters={"extension": ["is", "not set"]}, pluck="name", order_by="creation"
	):
		frappe.db.set_value("CC SIP Account", name, "extension", next_extension(), update_modified=False)
