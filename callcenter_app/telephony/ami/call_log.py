"""CallRecord (as a dict) → CC Call Log field values. Pure, so the mapping is tested without Frappe.

Times become naive datetimes in the system time zone (how Frappe stores Datetime fields). Lists become
text. A record without a Linkedid, or with a status the doctype does not know, is refused with a
FieldError naming the field: the bridge logs it and the rest of the batch is still written.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.ami.calls import STATUSES

TEXT_FIELDS = (
	"caller",
	"caller_name",
	"did",
	"route",
	"queue",
	"campaign",
	"answered_by",
	"agent_interface",
	"queue_result",
	"dial_status",
	"hangup_cause",
	"recording",
	"voicemail",
)
INT_FIELDS = ("wait_s", "ring_s", "talk_s", "duration_s", "billable_s")


def local_datetime(epoch: float | None, timezone: str) -> str | None:
	if epoch is None:
		return None
	when = dt.datetime.fromtimestamp(float(epoch), ZoneInfo(timezone)).replace(tzinfo=None)
	return when.isoformat(sep=" ", timespec="microseconds")


def call_log_values(record: dict, timezone: str) -> dict:
	linkedid = str(record.get("linkedid") or "").strip()
	if not linkedid or len(linkedid) > 140:
		raise FieldError("linkedid", f"{linkedid!r} is not an Asterisk Linkedid")
	if record.get("status") not in STATUSES:
		raise FieldError("status", f"{record.get('status')!r} is not one of {', '.join(STATUSES)}")
	if record.get("direction") not in ("inbound", "outbound"):
		raise FieldError("direction", f"{record.get('direction')!r} is not inbound or outbound")
	values = {
		"linkedid": linkedid,
		"status": record["status"],
		"direction": record["direction"],
		"start": local_datetime(record.get("start"), timezone),
		"answered_at": local_datetime(record.get("answered_at"), timezone),
		"end": local_datetime(record.get("end"), timezone),
		"agents_rung": ", ".join(record.get("agents_rung") or ()),
		"transfers": json.dumps(list(record.get("transfers") or ()), sort_keys=True)
		if record.get("transfers")
		else "",
		"complete": 1 if record.get("complete", True) else 0,
		"reference_ticket": str(record.get("ticket") or "")[:140],  # CC_TICKET: a click-to-call from a ticket
	}
	for key in TEXT_FIELDS:
		values[key] = str(record.get(key) or "")[:140]
	for key in INT_FIELDS:
		value = record.get(key)
		values[key] = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
	return values
