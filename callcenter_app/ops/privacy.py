"""Privacy rules (pure): recordings' retention and what a data subject's deletion request removes.

A call center keeps a customer's personal data in CC Call Log (their number, name, recording, voicemail),
CC SMS Message (their number, the text), CC Campaign Contact (number, name, notes) and CC Appointment (the
field agent's visit: name, number, address, place, notes, signed document); the records stay
(counts, durations and outcomes are the company's statistics), the personal values go. The Frappe side is
``ops/personal_data/service.py`` (which records belong to whom: the Contact with the requester's email, its
numbers) and ``ops/tasks.py`` (the nightly recordings job).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

ERASED = ""  # a redacted number or name
ERASED_TEXT = "[deleted on the customer's request]"  # a redacted free text (an SMS body, notes)


def recording_cutoff(now: datetime, days: int) -> datetime | None:
	"""Calls that started before this moment lose their recording; None when recordings are kept (0)."""
	if not days or days <= 0:
		return None
	return now - timedelta(days=int(days))


def redaction(doctype: str, row: Mapping) -> dict:
	"""The values that replace the data subject's personal data in one record of ``doctype``."""
	if doctype == "CC Call Log":
		values = {"caller": ERASED, "caller_name": ERASED, "recording": ERASED, "voicemail": ERASED}
		if row.get("direction") == "outbound":
			values["did"] = ERASED  # the number dialled
		return values
	if doctype == "CC SMS Message":
		side = "sender" if row.get("direction") == "Inbound" else "recipient"
		return {side: ERASED, "body": ERASED_TEXT}
	if doctype == "CC Campaign Contact":
		# (campaign, phone) is unique: each redacted row gets its own placeholder; Closed is never dialled
		return {
			"phone": f"erased-{row['name']}",
			"full_name": ERASED,
			"notes": ERASED_TEXT,
			"status": "Closed",
		}
	if doctype == "CC Appointment":
		# the visit stays (agent, time, outcome); where and whom go, with the signed document's link
		return {
			"contact_name": ERASED,
			"phone": ERASED,
			"address": ERASED,
			"latitude": 0,
			"longitude": 0,
			"location": ERASED,
			"notes": ERASED_TEXT,
			"signed_document": ERASED,
		}
	raise KeyError(f"doctype: {doctype!r} holds no customer data the call center knows of")


# Where each doctype keeps the customer's number (matched against the Contact's numbers in E.164) and its
# Contact link; fields the download request exports; ``needs``: what else redaction reads.
SUBJECT_FIELDS: dict[str, dict] = {
	"CC Call Log": {
		"numbers": ("caller", "did"),
		"needs": ("direction",),
		"export": (
			"name",
			"start",
			"direction",
			"caller",
			"caller_name",
			"did",
			"status",
			"talk_s",
			"recording",
		),
	},
	"CC SMS Message": {
		"numbers": ("sender", "recipient"),
		"needs": ("direction",),
		"export": ("name", "direction", "sender", "recipient", "body", "received_at", "sent_at", "status"),
	},
	"CC Campaign Contact": {
		"numbers": ("phone",),
		"export": (
			"name",
			"campaign",
			"phone",
			"full_name",
			"status",
			"attempts",
			"last_attempt_at",
			"notes",
		),
	},
	"CC Appointment": {
		"numbers": ("phone",),
		"export": ("name", "start", "end", "status", "contact_name", "phone", "address", "notes"),
	},
}
