"""CallRecord (as a dict) → CC Call Log field values. Pure, so the mapping is tested without Frappe.

Times become naive datetimes in the system time zone (how Frappe stores Datetime fields). Lists become
text: ``transfers`` and ``queue_legs`` (the record's ``legs``, with their times as local datetimes) are JSON.
A record without a Linkedid, or with a status the doctype does not know, is refused with a FieldError
naming the field: the bridge logs it and the rest of the batch is still written. Anything else a
CallTracker can produce converts without raising: a time that is not a finite, representable epoch
becomes empty, and a number that does not fit Frappe's Int column (or is not finite) becomes unknown.
"""

from __future__ import annotations

import datetime as dt
import json
import math
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
INT_MAX = 2**31 - 1  # Frappe's Int column
LEG_KEYS = ("queue", "entered", "left", "wait_s", "outcome", "agent", "agent_interface", "ring_s", "talk_s")


def local_datetime(epoch: float | None, timezone: str) -> str | None:
	"""``epoch`` as a naive local datetime text; None for None or a value no datetime can hold."""
	if epoch is None or isinstance(epoch, bool):
		return None
	try:
		seconds = float(epoch)
		if not math.isfinite(seconds):
			return None
		when = dt.datetime.fromtimestamp(seconds, ZoneInfo(timezone)).replace(tzinfo=None)
	except (TypeError, ValueError, OverflowError, OSError):
		return None
	return when.isoformat(sep=" ", timespec="microseconds")


def _int(value) -> int | None:
	if isinstance(value, bool) or not isinstance(value, (int, float)):
		return None
	if isinstance(value, float) and not math.isfinite(value):
		return None
	return int(value) if -INT_MAX <= value <= INT_MAX else None


def queue_legs_json(legs, timezone: str) -> str:
	"""The record's queue legs as JSON for the ``queue_legs`` field ('' without a queue)."""
	out = []
	for leg in legs or ():
		if not isinstance(leg, dict):
			continue
		view = {key: leg.get(key) for key in LEG_KEYS}
		for key in ("entered", "left"):
			view[key] = local_datetime(view[key], timezone)
		for key in ("wait_s", "ring_s", "talk_s"):
			view[key] = _int(view[key])
		for key in ("queue", "outcome", "agent", "agent_interface"):
			view[key] = str(view[key] or "")[:140]
		out.append(view)
	return json.dumps(out, sort_keys=True) if out else ""


def call_log_values(record: dict, timezone: str) -> dict:
	linkedid = str(record.get("linkedid") or "").strip()
	if not linkedid or len(linkedid) > 140:
		raise FieldError("linkedid", f"{linkedid!r} is not an Asterisk Linkedid")
	if record.get("status") not in STATUSES:
		raise FieldError("status", f"{record.get('status')!r} is not one of {', '.join(STATUSES)}")
	if record.get("direction") not in ("inbound", "outbound", "internal"):
		raise FieldError("direction", f"{record.get('direction')!r} is not inbound, outbound or internal")
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
		"queue_legs": queue_legs_json(record.get("legs"), timezone),
		"complete": 1 if record.get("complete", True) else 0,
		"reference_ticket": str(record.get("ticket") or "")[:140],  # CC_TICKET: a click-to-call from a ticket
	}
	for key in TEXT_FIELDS:
		values[key] = str(record.get(key) or "")[:140]
	for key in INT_FIELDS:
		values[key] = _int(record.get(key))
	return values
