# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CCCallLog(Document):
	"""One call as the AMI bridge saw it (telephony/ami/calls.py); written only by the bridge's upsert."""
