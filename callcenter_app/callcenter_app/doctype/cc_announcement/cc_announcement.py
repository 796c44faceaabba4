# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.media import sniff_audio, to_pbx_wav
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
		duration_s: DF.Float
		sound_name: DF.Data | None
	# end: auto-generated types

	def validate(self):
		self.sound_name = sound_name(self.announcement_name)
		if self.has_value_changed("audio") or not self.audio_format or not self.duration_s:
			self.audio_format, self.duration_s = self.check_audio()

	def check_audio(self) -> tuple[str, float]:
		"""The upload's kind and its length once converted for the PBX: a file that cannot be converted
		is refused here, not discovered when a caller hears silence."""
		file_name = frappe.db.get_value("File", {"file_url": self.audio}, "name")
		if not file_name:
			throw_field_errors(
				self.doctype, [FieldError("audio", _("the file {0} was not found").format(self.audio))]
			)
		content = frappe.get_doc("File", file_name).get_content()
		if isinstance(content, str):
			content = content.encode("latin-1", "replace")
		try:
			kind = sniff_audio(content, field="audio")
			_wav, seconds = to_pbx_wav(content, field="audio")
		except FieldError as e:
			throw_field_errors(self.doctype, [e])
		return kind, round(seconds, 1)
