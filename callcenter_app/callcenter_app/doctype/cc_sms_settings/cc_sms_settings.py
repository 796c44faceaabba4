# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.sms.adapters import check_settings, parse_numbers
from callcenter_app.utils import is_masked_password, throw_field_errors


class CCSMSSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		enabled: DF.Check
		provider: DF.Literal["Generic", "Twilio"]
		public_base_url: DF.Data | None
		receive_numbers: DF.SmallText | None
		reply_via_sms_settings: DF.Check
		twilio_account_sid: DF.Data | None
		twilio_auth_token: DF.Password | None
		webhook_token: DF.Password | None
	# end: auto-generated types

	def validate(self):
		values = self.as_dict()
		for secret in ("webhook_token", "twilio_auth_token"):
			given = self.get(secret)
			values[secret] = "" if is_masked_password(given) else (given or "")
			values[f"{secret}_stored"] = bool(
				is_masked_password(given) or self.get_password(secret, raise_exception=False)
			)
		errors = check_settings(values)
		try:
			self.receive_numbers = "\n".join(parse_numbers(self.receive_numbers, region()))
		except FieldError as e:
			errors.append(e)
		self.public_base_url = (self.public_base_url or "").strip().rstrip("/")
		self.twilio_account_sid = (self.twilio_account_sid or "").strip()
		throw_field_errors(self.doctype, errors)


def region() -> str | None:
	from callcenter_app.utils import default_region

	return default_region()
