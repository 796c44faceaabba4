# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.signatures.rules import check_signature, sniff_image
from callcenter_app.utils import has_capability, throw_field_errors


class CCSignature(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		active: DF.Check
		agent: DF.Link | None
		html: DF.TextEditor | None
		is_default: DF.Check
		logo: DF.AttachImage | None
		signature_name: DF.Data
		use_forward: DF.Check
		use_new: DF.Check
		use_reply: DF.Check
	# end: auto-generated types

	def validate(self):
		uses = [
			u
			for u, on in (("new", self.use_new), ("reply", self.use_reply), ("forward", self.use_forward))
			if on
		]
		errors = check_signature(
			self.signature_name,
			self.agent or "",
			bool(self.is_default),
			uses,
			self.html or "",
			self.logo or "",
		)
		errors += self.agent_rights()
		if self.logo and self.has_value_changed("logo"):
			errors += self.logo_problems()
		throw_field_errors(self.doctype, errors)

	def agent_rights(self) -> list[FieldError]:
		"""An agent manages only their own signatures; defaults for all and others' are for managers."""
		user = frappe.session.user
		if has_capability(roles.MANAGE_SIGNATURES, user):
			return []
		errors = []
		if self.agent != user:
			errors.append(
				FieldError("agent", _("you can only keep signatures for yourself ({0})").format(user))
			)
		if self.is_default:
			errors.append(FieldError("is_default", _("only a manager can set the default for all agents")))
		return errors

	def logo_problems(self) -> list[FieldError]:
		"""The logo must be a public JPEG or PNG file, judged by its bytes."""
		name = frappe.db.get_value("File", {"file_url": self.logo}, "name")
		if not name:
			return [
				FieldError("logo", _("{0} is not a file of this site; attach it again").format(self.logo))
			]
		file = frappe.get_doc("File", name)
		if file.is_private:
			return [
				FieldError(
					"logo", _("is a private file; mail programs cannot show it. Attach it as a public file")
				)
			]
		content = file.get_content()
		if isinstance(content, str):  # Frappe hands back text when the bytes happen to decode as UTF-8
			content = content.encode("utf-8")
		try:
			sniff_image(content, "logo")
		except FieldError as e:
			return [e]
		return []
