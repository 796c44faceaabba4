"""Click-to-call obeys the do-not-call lists and the calling windows of the user's campaigns
(dialer/manual.py); before, an Operator could dial any number from the desk."""

import datetime as dt

from callcenter_app.dialer.manual import CampaignContact, refusal
from callcenter_app.dialer.windows import CallWindow

UTC = dt.timezone.utc
OFFICE = (CallWindow.parse("Mon-Fri", "09:00", "20:00"),)
TUESDAY_NOON_VILNIUS = dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TUESDAY_NIGHT_VILNIUS = dt.datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
NUMBER = "+37060000001"


def contact(zones=("Europe/Vilnius",)):
	return CampaignContact("Winter sale", zones, OFFICE, "Europe/Vilnius")


def test_a_number_nobody_forbids_is_dialled():
	assert refusal(NUMBER, False, [], [contact()], False, TUESDAY_NOON_VILNIUS) is None


def test_the_global_list_refuses_unless_the_call_is_about_the_customers_ticket():
	error = refusal(NUMBER, True, [], [], False, TUESDAY_NOON_VILNIUS)
	assert error.field == "number" and "do-not-call list" in error.reason and "ticket" in error.reason
	assert refusal(NUMBER, True, [], [], True, TUESDAY_NOON_VILNIUS) is None


def test_an_operated_campaigns_list_refuses_even_from_a_ticket():
	error = refusal(NUMBER, False, ["Winter sale"], [], True, TUESDAY_NOON_VILNIUS)
	assert "do-not-call list of campaign Winter sale" in error.reason


def test_a_closed_calling_window_refuses_and_names_the_zone():
	error = refusal(NUMBER, False, [], [contact()], False, TUESDAY_NIGHT_VILNIUS)
	assert "calling window of campaign Winter sale is closed" in error.reason
	assert "Europe/Vilnius" in error.reason


def test_the_window_follows_the_number_when_the_contact_has_no_zone():
	# a Lithuanian number at 21:00 UTC is 23:00 in Vilnius: closed
	assert refusal(NUMBER, False, [], [contact(NUMBER)], False, TUESDAY_NIGHT_VILNIUS) is not None
