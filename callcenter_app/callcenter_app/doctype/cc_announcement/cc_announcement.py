# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.media import sniff_audio
from callcenter_app.telephony.routing.records import sound_name
from callcenter_app.utils import throw_field_errors


class CCAnnouncement(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		announcement_name: DF.Data
		audio: DF.Attach
		audio_format: DF.Data | None
		sound_name: DF.Data | None
	# end: auto-generated types

	def validate(self):
		self.sound_name = sound_name(self.announcement_name)
		if self.has_value_changed("audio") or not self.audio_format:
			self.audio_format = self.check_audio()

	def check_audio(self) -> str:
		file_name = frappe.db.get_value("File", {"file_url": self.audio}, "name")
		if not file_name:
			throw_field_errors(
				self.doctype, [FieldError("audio", _("the file {0} was not found").format(self.audio))]
			)
		content = frappe.get_doc("File", file_name).get_content()
		if isinstance(content, str):
			content = content.encode("latin-1", "replace")
		try:
			return sniff_audio(content, field="audio")
		except FieldError as e:
			throw_field_errors(self.doctype, [e])
