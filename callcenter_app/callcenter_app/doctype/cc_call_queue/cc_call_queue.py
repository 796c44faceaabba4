# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import re

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.qos import queue_params
from callcenter_app.metrics.service import default_params
from callcenter_app.utils import throw_field_errors

QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class CCCallQueue(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from callcenter_app.callcenter_app.doctype.cc_call_queue_member.cc_call_queue_member import (
			CCCallQueueMember,
		)

		credit_account: DF.Link | None
		hd_team: DF.Link | None
		max_wait: DF.Int
		members: DF.Table[CCCallQueueMember]
		qos_early_factor: DF.Float
		qos_limit_wait: DF.Int
		qos_reference_wait: DF.Int
		queue_name: DF.Data
		retry: DF.Int
		ring_timeout: DF.Int
		strategy: DF.Literal[
			"linear", "ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "rrordered", "wrandom"
		]
		wrapup_time: DF.Int
		record_calls: DF.Check
	# end: auto-generated types

	def validate(self):
		errors = []
		if not QUEUE_NAME.match(self.queue_name or ""):
			errors.append(
				FieldError(
					"queue_name", _("use 1-64 letters, digits, '-' or '_' (it is the Asterisk queue name)")
				)
			)
		if int(self.max_wait or 0) < 1:
			errors.append(FieldError("max_wait", _("must be at least 1 second")))
		errors += self.check_qos()
		errors += self.check_members()
		throw_field_errors(self.doctype, errors)

	def check_qos(self) -> list[FieldError]:
		"""The QoS fields must make valid parameters, wait times left at 0 taking the CC Settings defaults."""
		try:
			queue_params(
				self.qos_reference_wait,
				self.qos_limit_wait,
				flt(self.qos_early_factor),  # what is stored: an empty Float is saved as 0
				default_params(),
			)
		except FieldError as e:
			return [e]
		return []

	def check_members(self) -> list[FieldError]:
		errors, seen = [], {}
		for row in self.members:
			account = row.sip_account or (
				frappe.db.get_value("CC SIP Account", {"user": row.agent, "enabled": 1}, "name")
				if row.agent
				else None
			)
			if not account:
				errors.append(
					FieldError(
						"members", _("row {0}: choose a SIP account, or an agent who has one").format(row.idx)
					)
				)
				continue
			row.sip_account = account
			row.interface = f"PJSIP/{account}"
			if row.interface in seen:
				errors.append(
					FieldError(
						"members",
						_("row {0}: {1} is already in row {2}").format(
							row.idx, row.interface, seen[row.interface]
						),
					)
				)
			seen.setdefault(row.interface, row.idx)
		return errors
