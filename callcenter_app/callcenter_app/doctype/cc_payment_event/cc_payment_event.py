# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class CCPaymentEvent(Document):
	"""One webhook as the gateway sent it (raw body kept for the Accountant), written by the gateways'
	service. ``event_key`` (gateway:event id, unique) is set only once the signature is verified: each
	genuine event is processed once, and a forged one never blocks it."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount_minor: DF.Int
		currency: DF.Data | None
		error: DF.SmallText | None
		event_id: DF.Data | None
		event_key: DF.Data | None
		event_type: DF.Data | None
		gateway: DF.Literal["Stripe", "PayPal"]
		raw_body: DF.LongText | None
		received_at: DF.Datetime | None
		signature_ok: DF.Check
		status: DF.Literal["Received", "Processed", "Ignored", "Needs review", "Rejected"]
		top_up: DF.Link | None
	# end: auto-generated types

	def on_trash(self):
		frappe.throw(_("Payment events are kept as received: they cannot be deleted"))
