"""Privacy rules: the recordings' cut-off, what a deletion request replaces, the retention setting."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.common.settings_rules import retention_days
from callcenter_app.ops import privacy

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=timezone.utc)


def test_cutoff_is_now_minus_the_days_and_zero_keeps_everything():
	assert privacy.recording_cutoff(NOW, 30) == datetime(2026, 11, 4, 3, 0, tzinfo=timezone.utc)
	assert privacy.recording_cutoff(NOW, 0) is None
	assert privacy.recording_cutoff(NOW, None) is None


def test_call_redaction_takes_the_customer_side_only():
	inbound = privacy.redaction("CC Call Log", {"direction": "inbound"})
	assert inbound == {"caller": "", "caller_name": "", "recording": "", "voicemail": ""}
	assert privacy.redaction("CC Call Log", {"direction": "outbound"})["did"] == ""
	assert privacy.redaction("CC SMS Message", {"direction": "Inbound"}) == {
		"sender": "",
		"body": privacy.ERASED_TEXT,
	}
	assert "recipient" in privacy.redaction("CC SMS Message", {"direction": "Outbound"})


def test_campaign_contacts_keep_unique_placeholders_and_are_never_dialled_again():
	a = privacy.redaction("CC Campaign Contact", {"name": "CT-1"})
	b = privacy.redaction("CC Campaign Contact", {"name": "CT-2"})
	assert a["phone"] != b["phone"]
	assert a["status"] == "Closed"


def test_appointment_redaction_keeps_the_visit_and_drops_whom_and_where():
	values = privacy.redaction("CC Appointment", {"name": "AP-1"})
	assert {"contact_name", "phone", "address", "latitude", "longitude", "notes"} <= set(values)
	assert not {"start", "end", "status", "field_agent", "outcome"} & set(values)
	assert "CC Appointment" in privacy.SUBJECT_FIELDS
	assert privacy.SUBJECT_FIELDS["CC Appointment"]["numbers"] == ("phone",)


def test_unknown_doctype_is_named():
	with pytest.raises(KeyError, match="HD Ticket"):
		privacy.redaction("HD Ticket", {})


@pytest.mark.parametrize("value,days", [(None, 0), ("", 0), (0, 0), (30, 30), ("365", 365)])
def test_retention_days_accepted(value, days):
	assert retention_days("recording_retention_days", value) == days


@pytest.mark.parametrize("value", [-1, 36_501, "a month", 1.5])
def test_retention_days_refused_naming_the_field(value):
	with pytest.raises(FieldError, match="recording_retention_days"):
		retention_days("recording_retention_days", value)
