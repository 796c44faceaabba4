# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.settings_rules import check_cc_settings
from callcenter_app.field.rules import check_field_settings
from callcenter_app.telephony.asterisk_config.browser import check_settings as check_phone_bar_settings
from callcenter_app.tickets.service import check_status_rules
from callcenter_app.utils import is_masked_password, throw_field_errors


class CCSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from callcenter_app.callcenter_app.doctype.cc_status_rule.cc_status_rule import CCStatusRule

		agents_see_own_teams_only: DF.Check
		agi_bind_address: DF.Data
		agi_port: DF.Int
		ami_host: DF.Data | None
		ami_port: DF.Int
		ami_secret: DF.Password | None
		ami_username: DF.Data | None
		asterisk_http_bind: DF.Data | None
		asterisk_http_port: DF.Int
		asterisk_tls: DF.Check
		asterisk_tls_bind: DF.Data | None
		asterisk_tls_cert_file: DF.Data | None
		asterisk_tls_key_file: DF.Data | None
		asterisk_tls_port: DF.Int
		dtls_cert_file: DF.Data | None
		dtls_key_file: DF.Data | None
		geocoder_min_interval: DF.Float
		geocoder_url: DF.Data | None
		geocoder_user_agent: DF.Data | None
		has_field_agents: DF.Check
		ice_servers: DF.SmallText | None
		osrm_url: DF.Data | None
		pbx_enabled: DF.Check
		qos_early_factor: DF.Float
		recording_retention_days: DF.Int
		qos_limit_wait: DF.Int
		qos_reference_wait: DF.Int
		recordings_folder: DF.Data | None
		site_timezone: DF.Autocomplete | None
		tenant_prefix: DF.Data | None
		status_rules: DF.Table[CCStatusRule]
		ticket_for_answered_calls: DF.Check
		ticket_for_missed_calls: DF.Check
		turn_password: DF.Password | None
		turn_username: DF.Data | None
		webrtc_enabled: DF.Check
		webrtc_ws_url: DF.Data | None
	# end: auto-generated types

	def validate(self):
		values = self.as_dict()
		values["ami_secret"] = "" if is_masked_password(self.ami_secret) else self.ami_secret
		throw_field_errors(self.doctype, check_cc_settings(values))
		throw_field_errors(self.doctype, check_status_rules(self.status_rules))
		throw_field_errors(self.doctype, check_field_settings(values))
		turn_set = bool(self.turn_password) or bool(self.get_password("turn_password", raise_exception=False))
		throw_field_errors(self.doctype, check_phone_bar_settings(values, turn_password_set=turn_set))
		self.validate_secret_present()
		self.validate_secret_follows_host()

	def validate_secret_follows_host(self):
		"""The bridge logs in with the stored secret wherever ami_host points: a changed host or port must
		come with the secret typed again, or whoever may edit settings could send it to their own server.
		(For a PBX on another machine, carry AMI over TLS: Asterisk's manager.conf tlsenable, tlsbindaddr.)"""
		before = self.get_doc_before_save()
		if not before or not (before.ami_host or before.get_password("ami_secret", raise_exception=False)):
			return
		moved = [
			f
			for f in ("ami_host", "ami_port")
			if str(self.get(f) or "") != str(before.get(f) or "") and before.get(f)
		]
		if moved and (not self.ami_secret or is_masked_password(self.ami_secret)):
			frappe.throw(
				_(
					"{0}: type the secret again when you change {1}; the stored secret is never sent to a new address"
				).format(_("AMI Secret"), " / ".join(_(self.meta.get_label(f)) for f in moved)),
				title=_("Invalid CC Settings"),
			)

	def validate_secret_present(self):
		if self.pbx_enabled and not (
			self.ami_secret or self.get_password("ami_secret", raise_exception=False)
		):
			frappe.throw(
				_("{0}: is required when the PBX bridge is enabled").format(_("AMI Secret")),
				title=_("Invalid CC Settings"),
			)
