"""Click-to-call obeys the do-not-call lists and the calling windows of the user's campaigns
(dialer/manual.py); before, an Operator could dial any number from the desk."""

import datetime as dt

from callcenter_app.dialer.manual import CampaignContact, preview_refusal, refusal
from callcenter_app.dialer.windows import CallWindow, zones_for_number

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


# --- the console's preview dial (dialer/console/call_service.check_dial decides with preview_refusal) ------


def preview(zones=("Europe/Vilnius",), windows=OFFICE):
	return CampaignContact("Winter sale", zones, windows, "Europe/Vilnius")


def test_a_preview_contact_nobody_forbids_may_be_dialled():
	assert preview_refusal(NUMBER, preview(), False, False, TUESDAY_NOON_VILNIUS, "UTC") is None


def test_the_campaigns_own_list_and_the_global_one_refuse_a_preview_dial_naming_which():
	own = preview_refusal(NUMBER, preview(), True, True, TUESDAY_NOON_VILNIUS, "UTC")
	assert own.field == "contact"
	assert own.reason == f"{NUMBER} is on the campaign's do-not-call list: it may not be called"
	listed = preview_refusal(NUMBER, preview(), False, True, TUESDAY_NOON_VILNIUS, "UTC")
	assert listed.reason == f"{NUMBER} is on the do-not-call list: it may not be called"


def test_a_closed_window_names_the_zone_and_when_it_opens_in_the_zone_shown():
	# Tuesday 23:00 in Vilnius: the office opens Wednesday 09:00 there, 07:00 UTC, 08:00 in Berlin
	error = preview_refusal(NUMBER, preview(), False, False, TUESDAY_NIGHT_VILNIUS, "Europe/Berlin")
	assert error.field == "contact"
	assert error.reason == (
		f"the calling window is closed for {NUMBER} (Europe/Vilnius): it opens at 2026-12-02 08:00"
	)


def test_a_window_that_never_opens_says_so_and_the_number_gives_the_zone_without_one():
	error = preview_refusal(NUMBER, preview(NUMBER, windows=()), False, False, TUESDAY_NOON_VILNIUS, "UTC")
	zones = ", ".join(zones_for_number(NUMBER, "Europe/Vilnius"))  # the number's country's zone
	assert error.reason == (
		f"the calling window is closed for {NUMBER} ({zones}): it does not open in the next two weeks"
	)
