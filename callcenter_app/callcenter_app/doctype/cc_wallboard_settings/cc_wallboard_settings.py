# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CCWallboardSettings(Document):
	"""The wallboard's alert thresholds. Who may read this record may open the wallboard and joins its
	realtime room (``doctype:CC Wallboard Settings``, metrics/service.py)."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		abandon_alert_pct: DF.Percent
		qos_alert_pct: DF.Percent
		wait_alert_s: DF.Int
	# end: auto-generated types
