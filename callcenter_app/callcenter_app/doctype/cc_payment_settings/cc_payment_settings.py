# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.utils import throw_field_errors


class CCPaymentSettings(Document):
	"""Gateway keys (Password fields: stored encrypted, never logged or sent to a browser), the bank
	details shown for transfers, and the top-up limits."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		bank_account_holder: DF.Data | None
		bank_bic: DF.Data | None
		bank_enabled: DF.Check
		bank_iban: DF.Data | None
		bank_instructions: DF.SmallText | None
		bank_name: DF.Data | None
		erpnext_bank_account: DF.Data | None
		erpnext_company: DF.Data | None
		erpnext_credit_account: DF.Data | None
		erpnext_paypal_account: DF.Data | None
		erpnext_post_journal: DF.Check
		erpnext_stripe_account: DF.Data | None
		max_top_up_minor: DF.Int
		min_top_up_minor: DF.Int
		paypal_api_base: DF.Data | None
		paypal_client_id: DF.Data | None
		paypal_client_secret: DF.Password | None
		paypal_enabled: DF.Check
		paypal_webhook_id: DF.Data | None
		stripe_api_base: DF.Data | None
		stripe_enabled: DF.Check
		stripe_publishable_key: DF.Data | None
		stripe_secret_key: DF.Password | None
		webhook_tolerance_s: DF.Int
		stripe_webhook_secret: DF.Password | None
	# end: auto-generated types

	def validate(self):
		errors = []
		for field in ("stripe_api_base", "paypal_api_base"):
			value = (self.get(field) or "").strip().rstrip("/")
			if value and not value.startswith(("https://", "http://127.", "http://localhost")):
				errors.append(FieldError(field, _("must be an https:// URL")))
			self.set(field, value)
		if (self.min_top_up_minor or 0) <= 0:
			errors.append(FieldError("min_top_up_minor", _("must be positive")))
		if (self.max_top_up_minor or 0) < (self.min_top_up_minor or 0):
			errors.append(FieldError("max_top_up_minor", _("cannot be smaller than the smallest top-up")))
		if not 1 <= (self.webhook_tolerance_s or 0) <= 3600:
			errors.append(FieldError("webhook_tolerance_s", _("must be between 1 and 3600 seconds")))
		self.bank_iban = (self.bank_iban or "").replace(" ", "").upper() or None
		throw_field_errors(self.doctype, errors)
