# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.settings_rules import check_cc_settings
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
		pbx_enabled: DF.Check
		qos_early_factor: DF.Float
		qos_limit_wait: DF.Int
		qos_reference_wait: DF.Int
		recordings_folder: DF.Data | None
		site_timezone: DF.Autocomplete | None
		status_rules: DF.Table[CCStatusRule]
		ticket_for_answered_calls: DF.Check
		ticket_for_missed_calls: DF.Check
	# end: auto-generated types

	def validate(self):
		values = self.as_dict()
		values["ami_secret"] = "" if is_masked_password(self.ami_secret) else self.ami_secret
		throw_field_errors(self.doctype, check_cc_settings(values))
		throw_field_errors(self.doctype, check_status_rules(self.status_rules))
		self.validate_secret_present()

	def validate_secret_present(self):
		if self.pbx_enabled and not (
			self.ami_secret or self.get_password("ami_secret", raise_exception=False)
		):
			frappe.throw(
				_("{0}: is required when the PBX bridge is enabled").format(_("AMI Secret")),
				title=_("Invalid CC Settings"),
			)
