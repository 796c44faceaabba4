# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import re

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.utils import is_masked_password, throw_field_errors

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")  # a leading "_" would be a dialplan pattern
EXTENSION = re.compile(r"^[1-9][0-9]{1,5}$")
FIRST_EXTENSION = 1001


def next_extension() -> str:
	"""The next free extension: one more than the highest number in use, from 1001."""
	used = [
		int(e)
		for e in frappe.get_all("CC SIP Account", filters={"extension": ["is", "set"]}, pluck="extension")
		if e and e.isdigit()
	]
	return str(max([FIRST_EXTENSION - 1, *used]) + 1)


class CCSIPAccount(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		codecs: DF.Data | None
		credit_account: DF.Link | None
		display_name: DF.Data | None
		enabled: DF.Check
		extension: DF.Data | None
		max_contacts: DF.Int
		secret: DF.Password
		user: DF.Link | None
		username: DF.Data
		webrtc: DF.Check
	# end: auto-generated types

	def validate(self):
		errors = []
		self.extension = (self.extension or "").strip() or next_extension()
		if not EXTENSION.match(self.extension):
			errors.append(FieldError("extension", _("use 2 to 6 digits, not starting with 0")))
		elif frappe.db.exists(
			"CC SIP Account", {"extension": self.extension, "name": ["!=", self.name or ""]}
		):
			errors.append(
				FieldError("extension", _("{0} is another SIP account's extension").format(self.extension))
			)
		if not USERNAME.match(self.username or ""):
			errors.append(
				FieldError(
					"username",
					_("use 1-40 letters, digits, '.', '-' or '_', starting with a letter or digit"),
				)
			)
		if self.secret and not is_masked_password(self.secret):
			if len(self.secret) < 12:
				errors.append(
					FieldError(
						"secret", _("must be at least 12 characters: SIP accounts are attacked by guessing")
					)
				)
			if any(c in self.secret for c in '\r\n;[]"\\ \t'):
				errors.append(
					FieldError("secret", _("must not contain spaces, quotes, ';', brackets or line breaks"))
				)
		if not 1 <= int(self.max_contacts or 0) <= 10:
			errors.append(FieldError("max_contacts", _("must be from 1 to 10")))
		codecs = [c.strip() for c in (self.codecs or "").split(",") if c.strip()]
		if not codecs or not all(re.fullmatch(r"[a-z0-9_]+", c) for c in codecs):
			errors.append(FieldError("codecs", _("a comma-separated list such as ulaw,alaw,opus")))
		self.codecs = ",".join(codecs)
		throw_field_errors(self.doctype, errors)
