from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter_app.dialer.hopper import (
	DEFAULT_RULES,
	Callback,
	Contact,
	Hopper,
	OutcomeRule,
	Status,
	apply_outcome,
	contact_zones,
	pick,
)
from callcenter_app.dialer.windows import (
	CallWindow,
	is_callable_at,
	next_open,
	parse_weekdays,
	zones_for_number,
)

UTC = dt.timezone.utc
WEEKDAYS_9_20 = [CallWindow.parse("Mon-Fri", "09:00", "20:00")]
MONDAY = dt.datetime(2024, 3, 4, tzinfo=UTC)  # a Monday in winter (no DST anywhere in the north)

# numbers from several zones; +61 4… (Australian mobile) spans many zones, +1 555 is unknown
NUMBERS = [
	"+12125550143",  # New York
	"+13105550123",  # Los Angeles
	"+442079460958",  # London
	"+37060012345",  # Lithuania
	"+81312345678",  # Tokyo
	"+61412345678",  # Australia, mobile: several zones
	"+15555551234",  # no zone known: the campaign's default
]


# --- windows -------------------------------------------------------------------------------------------------


def test_zones_from_number():
	assert zones_for_number("+12125550143") == ("America/New_York",)
	assert len(zones_for_number("+61412345678")) > 1
	assert zones_for_number("+15555551234", "Europe/Vilnius") == ("Europe/Vilnius",)
	assert zones_for_number("not a number", "Europe/Vilnius") == ("Europe/Vilnius",)


def test_window_in_the_contacts_zone():
	ny = "+12125550143"
	assert not is_callable_at(ny, WEEKDAYS_9_20, MONDAY.replace(hour=13))  # 08:00 in New York
	assert is_callable_at(ny, WEEKDAYS_9_20, MONDAY.replace(hour=14))  # 09:00
	assert is_callable_at(ny, WEEKDAYS_9_20, MONDAY.replace(hour=14) + dt.timedelta(hours=10, minutes=59))
	assert not is_callable_at(ny, WEEKDAYS_9_20, MONDAY.replace(hour=14) + dt.timedelta(hours=11))  # 20:00


def test_several_zones_must_all_be_open():
	zones = ["Europe/Vilnius", "Asia/Tokyo"]  # UTC+2 and UTC+9 in March
	assert is_callable_at(zones, WEEKDAYS_9_20, MONDAY.replace(hour=7))  # 09:00 and 16:00
	assert not is_callable_at(zones, WEEKDAYS_9_20, MONDAY.replace(hour=12))  # 14:00 and 21:00
	assert not is_callable_at(zones, WEEKDAYS_9_20, MONDAY.replace(hour=6))  # 08:00 and 15:00
	assert next_open(zones, WEEKDAYS_9_20, MONDAY.replace(hour=12)) == MONDAY.replace(day=5, hour=7)


def test_unknown_zone_uses_the_campaign_default():
	unknown = "+15555551234"
	at = MONDAY.replace(hour=8)  # 10:00 in Vilnius, 08:00 in UTC
	assert is_callable_at(unknown, WEEKDAYS_9_20, at, default_tz="Europe/Vilnius")
	assert not is_callable_at(unknown, WEEKDAYS_9_20, at, default_tz="UTC")


def test_dst_is_followed():
	ny = ["America/New_York"]
	# 9:00 New York is 14:00 UTC in winter, 13:00 UTC after the switch (Sunday 10 March 2024)
	assert is_callable_at(ny, WEEKDAYS_9_20, dt.datetime(2024, 3, 11, 13, 30, tzinfo=UTC))  # Mon 09:30 EDT
	assert not is_callable_at(ny, WEEKDAYS_9_20, dt.datetime(2024, 3, 8, 13, 30, tzinfo=UTC))  # Fri 08:30 EST
	saturday = dt.datetime(2024, 3, 9, 12, tzinfo=UTC)
	assert next_open(ny, WEEKDAYS_9_20, saturday) == dt.datetime(2024, 3, 11, 13, tzinfo=UTC)


def test_overnight_and_weekend_windows():
	night = [CallWindow.parse("Fri", "22:00", "02:00")]
	assert is_callable_at(["UTC"], night, dt.datetime(2024, 3, 8, 23, tzinfo=UTC))  # Friday 23:00
	assert is_callable_at(["UTC"], night, dt.datetime(2024, 3, 9, 1, 59, tzinfo=UTC))  # Saturday 01:59
	assert not is_callable_at(["UTC"], night, dt.datetime(2024, 3, 9, 2, tzinfo=UTC))
	assert not is_callable_at(["UTC"], night, dt.datetime(2024, 3, 9, 23, tzinfo=UTC))  # Saturday 23:00
	assert parse_weekdays("Fri-Mon") == frozenset({4, 5, 6, 0})
	assert parse_weekdays("sat, Sunday") == frozenset({5, 6})


def test_bad_input():
	with pytest.raises(ValueError, match="aware"):
		is_callable_at("+12125550143", WEEKDAYS_9_20, dt.datetime(2024, 3, 4, 12))
	with pytest.raises(ValueError, match="weekday"):
		parse_weekdays("Funday")
	with pytest.raises(ValueError, match="weekdays"):
		CallWindow(frozenset({7}), dt.time(9), dt.time(10))
	assert not is_callable_at("+12125550143", [], MONDAY)
	assert next_open("+12125550143", [], MONDAY) is None


def test_next_open_is_none_when_zones_never_overlap():
	one_hour = [CallWindow.parse("Mon-Sun", "09:00", "10:00")]
	assert next_open(["UTC", "Asia/Tokyo"], one_hour, MONDAY) is None


windows_st = st.lists(
	st.builds(
		CallWindow,
		st.frozensets(st.integers(0, 6), min_size=1),
		st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
		st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 30])),
	),
	min_size=0,
	max_size=3,
)
instants_st = st.datetimes(
	min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2025, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(NUMBERS), windows_st, instants_st)
def test_next_open_is_callable_and_first(number, windows, start):
	found = next_open(number, windows, start, default_tz="Europe/Vilnius")
	if found is None:
		return
	assert found >= start
	assert is_callable_at(number, windows, found, default_tz="Europe/Vilnius")
	t = start
	while t < found:  # nothing callable before it (sampled every 20 minutes)
		assert not is_callable_at(number, windows, t, default_tz="Europe/Vilnius")
		t += dt.timedelta(minutes=20)


# --- hopper --------------------------------------------------------------------------------------------------


def contact(i: int, number: str = "+12125550143", **kw) -> Contact:
	return Contact(id=f"c{i}", number=number, **kw)


def test_order_callbacks_then_priority_then_oldest():
	now = MONDAY.replace(hour=15)  # 10:00 in New York
	older = now - dt.timedelta(days=2)
	contacts = [
		contact(1, priority=0, created_at=older),
		contact(2, priority=5, created_at=now - dt.timedelta(hours=1)),
		contact(3, priority=5, created_at=older),
		contact(4, status=Status.CALLBACK, next_attempt_at=now - dt.timedelta(minutes=5)),
		contact(5, status=Status.CALLBACK, next_attempt_at=now - dt.timedelta(minutes=1)),
		contact(6, status=Status.RETRY, attempts=1, next_attempt_at=now - dt.timedelta(days=3)),
	]
	callbacks = [
		Callback("c4", now - dt.timedelta(minutes=5)),
		Callback("c5", now - dt.timedelta(minutes=1), owner="alice", private=True),
	]
	ids = [
		p.contact.id for p in pick(contacts, now, 10, WEEKDAYS_9_20, callbacks=callbacks, operator="alice")
	]
	assert ids == ["c5", "c4", "c3", "c2", "c6", "c1"]
	ids = [p.contact.id for p in pick(contacts, now, 10, WEEKDAYS_9_20, callbacks=callbacks, operator="bob")]
	assert ids == ["c4", "c3", "c2", "c6", "c1"]  # alice's private callback is hers only


def test_private_callbacks_reach_only_their_owner():
	now = MONDAY.replace(hour=15)
	hopper = Hopper(windows=WEEKDAYS_9_20)
	hopper.add(contact(1), contact(2))
	hopper.callbacks["c1"] = Callback("c1", now, owner="alice", private=True)
	assert [p.contact.id for p in hopper.next(now, 5, operator=None)] == ["c2"]
	hopper.contacts["c2"] = contact(2)  # back in the pool
	assert [p.contact.id for p in hopper.next(now, 5, operator="bob")] == ["c2"]
	picks = hopper.next(now, 5, operator="alice")
	assert [p.contact.id for p in picks] == ["c1"]
	assert picks[0].callback is not None and picks[0].callback.owner == "alice"


def test_callback_not_due_is_not_dialed():
	now = MONDAY.replace(hour=15)
	c = contact(1)
	cb = Callback("c1", now + dt.timedelta(minutes=10))
	assert pick([c], now, 1, WEEKDAYS_9_20, callbacks=[cb]) == []
	assert [
		p.contact.id for p in pick([c], now + dt.timedelta(minutes=10), 1, WEEKDAYS_9_20, callbacks=[cb])
	] == ["c1"]


def test_dnc_global_and_campaign():
	now = MONDAY.replace(hour=15)
	cs = [contact(1, "+12125550143"), contact(2, "+12125550144"), contact(3, "+12125550145")]
	got = pick(cs, now, 5, WEEKDAYS_9_20, dnc={"+12125550143"}, campaign_dnc={"+12125550145"})
	assert [p.contact.id for p in got] == ["c2"]


def test_outcomes():
	now = MONDAY.replace(hour=15)
	c = contact(1, max_attempts=3)
	r = apply_outcome(c, "no_answer", now)
	assert (r.contact.status, r.contact.attempts, r.contact.next_attempt_at) == (
		Status.RETRY,
		1,
		now + dt.timedelta(hours=2),
	)
	r = apply_outcome(
		r.contact,
		"callback",
		now,
		callback_at=now + dt.timedelta(days=1),
		callback_owner="al",
		private_callback=True,
	)
	assert r.contact.status is Status.CALLBACK and r.callback == Callback(
		"c1", now + dt.timedelta(days=1), "al", True
	)
	r = apply_outcome(r.contact, "busy", now)
	assert (r.contact.status, r.contact.attempts, r.exhausted) == (Status.CLOSED, 3, True)
	with pytest.raises(ValueError, match="already"):
		apply_outcome(r.contact, "busy", now)
	assert apply_outcome(c, "success", now).contact.status is Status.COMPLETED
	assert apply_outcome(c, "do_not_call", now).add_to_dnc
	with pytest.raises(ValueError, match="unknown outcome"):
		apply_outcome(c, "maybe", now)
	with pytest.raises(ValueError):
		OutcomeRule(final=False, success=True)


def test_hopper_adds_dnc_outcomes_to_the_campaign_list():
	now = MONDAY.replace(hour=15)
	hopper = Hopper(windows=WEEKDAYS_9_20)
	hopper.add(contact(1), contact(2, "+12125550199"))
	first = hopper.next(now, 1)[0]
	hopper.finish(first.contact.id, "do_not_call", now)
	assert first.contact.number in hopper.campaign_dnc
	assert [p.contact.id for p in hopper.next(now, 5)] == ["c2"]


# --- properties ------------------------------------------------------------------------------------------------

OPERATORS = ["alice", "bob"]


@st.composite
def scenarios(draw):
	now = draw(instants_st)
	n_contacts = draw(st.integers(0, 25))
	contacts = []
	for i in range(n_contacts):
		max_attempts = draw(st.integers(1, 4))
		offset = draw(st.one_of(st.none(), st.integers(-3 * 86400, 3 * 86400)))
		contacts.append(
			Contact(
				id=f"c{i}",
				number=draw(st.sampled_from(NUMBERS)),
				status=draw(st.sampled_from(list(Status))),
				attempts=draw(st.integers(0, max_attempts + 1)),
				max_attempts=max_attempts,
				next_attempt_at=None if offset is None else now + dt.timedelta(seconds=offset),
				priority=draw(st.integers(0, 3)),
				timezones=draw(st.sampled_from([(), ("Asia/Tokyo",), ("Europe/London", "America/Chicago")])),
			)
		)
	callbacks = []
	for c in contacts:
		if draw(st.booleans()):
			private = draw(st.booleans())
			callbacks.append(
				Callback(
					c.id,
					now + dt.timedelta(seconds=draw(st.integers(-86400, 86400))),
					owner=draw(st.sampled_from(OPERATORS)) if private else None,
					private=private,
				)
			)
	dnc = draw(st.frozensets(st.sampled_from(NUMBERS), max_size=2))
	campaign_dnc = draw(st.frozensets(st.sampled_from(NUMBERS), max_size=2))
	windows = draw(windows_st)
	operator = draw(st.sampled_from([None, *OPERATORS]))
	n = draw(st.integers(1, 30))
	return now, contacts, callbacks, dnc, campaign_dnc, windows, operator, n


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_pick_never_breaks_the_rules(scenario):
	now, contacts, callbacks, dnc, campaign_dnc, windows, operator, n = scenario
	picks = pick(
		contacts,
		now,
		n,
		windows,
		dnc=dnc,
		campaign_dnc=campaign_dnc,
		callbacks=callbacks,
		operator=operator,
		default_tz="Europe/Vilnius",
	)
	assert len(picks) <= n
	assert len({p.contact.id for p in picks}) == len(picks)
	by_contact = {}
	for cb in sorted(callbacks, key=lambda cb: (cb.due_at, not cb.private)):
		by_contact.setdefault(cb.contact_id, cb)
	seen_plain = False
	for p in picks:
		c = p.contact
		assert c.number not in dnc and c.number not in campaign_dnc, "a DNC number was picked"
		assert is_callable_at(contact_zones(c, "Europe/Vilnius"), windows, now), "picked outside its window"
		assert c.attempts < c.max_attempts, "no attempts left"
		assert c.status in (Status.NEW, Status.RETRY, Status.CALLBACK)
		cb = by_contact.get(c.id)
		if cb is not None:
			assert p.callback == cb and cb.due_at <= now
			if cb.private:
				assert operator == cb.owner, "a private callback reached another operator"
			assert not seen_plain, "callbacks come first"
		else:
			assert p.callback is None
			assert c.next_attempt_at is None or c.next_attempt_at <= now
			seen_plain = True
	# nothing eligible is left out when there was room
	if len(picks) < n:
		picked = {p.contact.id for p in picks}
		for c in contacts:
			cb = by_contact.get(c.id)
			eligible = (
				c.status in (Status.NEW, Status.RETRY, Status.CALLBACK)
				and c.attempts < c.max_attempts
				and c.number not in dnc
				and c.number not in campaign_dnc
				and (
					(cb is None and (c.next_attempt_at is None or c.next_attempt_at <= now))
					or (cb is not None and cb.due_at <= now and cb.offered_to(operator))
				)
				and is_callable_at(contact_zones(c, "Europe/Vilnius"), windows, now)
			)
			assert (c.id in picked) == eligible, c


@settings(max_examples=100, deadline=None)
@given(
	st.integers(1, 6),
	st.lists(st.sampled_from(sorted(DEFAULT_RULES)), min_size=1, max_size=12),
)
def test_attempts_never_exceed_the_maximum(max_attempts, outcomes):
	now = MONDAY
	c = Contact("c1", "+12125550143", max_attempts=max_attempts)
	for outcome in outcomes:
		if c.status.final:
			with pytest.raises(ValueError):
				apply_outcome(c, outcome, now)
			break
		before = c.attempts
		r = apply_outcome(c, outcome, now)
		c = r.contact
		assert c.attempts <= c.max_attempts
		assert c.attempts == min(before + 1, max_attempts)
		if c.attempts >= c.max_attempts:
			assert c.status.final and c.next_attempt_at is None and r.callback is None
		if not c.status.final:
			assert c.next_attempt_at is not None and c.next_attempt_at >= now
		now += dt.timedelta(hours=1)
