# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import re

import frappe
from frappe import _
from frappe.model.document import Document

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import service
from callcenter_app.dialer.campaigns import campaign_caller_id, check_campaign
from callcenter_app.utils import call_center_timezone, default_region, throw_field_errors

ROW_FIELD = re.compile(r"^(?P<table>\w+)\[(?P<idx>\d+)\]\.(?P<field>\w+)$")


class CCCampaign(Document):
	"""A campaign: its dialer mode, calling windows, attempts and retry delays, abandon target and operators.

	The rules are pure (dialer/campaigns.py: check_campaign); dialer/service.py reads a campaign into the
	hopper's inputs (campaign_plan)."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from callcenter_app.callcenter_app.doctype.cc_campaign_operator.cc_campaign_operator import (
			CCCampaignOperator,
		)
		from callcenter_app.callcenter_app.doctype.cc_campaign_outcome_rule.cc_campaign_outcome_rule import (
			CCCampaignOutcomeRule,
		)
		from callcenter_app.callcenter_app.doctype.cc_campaign_window.cc_campaign_window import (
			CCCampaignWindow,
		)

		abandon_target: DF.Percent
		amd: DF.Check
		call_queue: DF.Link | None
		caller_id: DF.Data | None
		campaign_name: DF.Data
		check_dnc: DF.Check
		credit_account: DF.Link | None
		default_timezone: DF.Autocomplete | None
		description: DF.SmallText | None
		dialer_mode: DF.Literal["Preview", "Progressive", "Predictive"]
		direction: DF.Literal["Outbound", "Inbound"]
		max_attempts: DF.Int
		operators: DF.Table[CCCampaignOperator]
		outcome_rules: DF.Table[CCCampaignOutcomeRule]
		status: DF.Literal["Draft", "Active", "Paused", "Finished"]
		windows: DF.Table[CCCampaignWindow]
		wrapup_seconds: DF.Int
	# end: auto-generated types

	def before_validate(self):
		if not (self.default_timezone or "").strip():
			self.default_timezone = call_center_timezone()
		self.default_timezone = self.default_timezone.strip()

	def validate(self):
		outcomes = [row.outcome for row in self.outcome_rules if row.outcome]
		final = set(
			frappe.get_all("CC Outcome", filters={"name": ["in", outcomes], "final": 1}, pluck="name")
			if outcomes
			else ()
		)
		errors = check_campaign(self.as_dict(), final_outcomes=final, default_region=default_region())
		throw_field_errors(self.doctype, [self.row_error(e) for e in errors])
		self.caller_id = campaign_caller_id(self.caller_id, default_region())

	def row_error(self, error: FieldError) -> FieldError:
		"""``windows[2].weekdays`` → the table's label, with "row 2, Days: …" (as other forms say it)."""
		match = ROW_FIELD.match(error.field)
		if not match:
			return error
		table = self.meta.get_field(match["table"])
		child = frappe.get_meta(table.options).get_field(match["field"]) if table else None
		label = _(child.label) if child and child.label else match["field"]
		return FieldError(match["table"], _("row {0}, {1}: {2}").format(match["idx"], label, error.reason))


# Operators see the campaigns they work on; managers see all.
permission_query_conditions, has_permission = service.campaign_permissions("CC Campaign", "name")
