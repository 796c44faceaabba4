"""credit/bulk.py: many top-up credits at once give what the per-entry path gives, credit by credit, and
planning the same credits again posts nothing."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.credit import ledger
from callcenter_app.credit.bulk import (
	ALREADY,
	OTHER,
	POSTED,
	REFUSED,
	AccountState,
	Credit,
	KnownEntry,
	TopUpState,
	chunks,
	lock_order,
	plan,
	series_names,
)

LINE = "CC Bank Statement Line"


def credit(top_up, amount, line, key=None):
	return Credit(top_up, amount, key or f"bank:DE1:{line}", LINE, line)


def test_lock_order_is_sorted_and_unique():
	assert lock_order(["TOP-3", "TOP-1", None, "TOP-3", "", "TOP-2"]) == ["TOP-1", "TOP-2", "TOP-3"]


def test_postings_carry_running_balances_per_account_in_order():
	top_ups = {
		"T1": TopUpState("T1", "A", "EUR", "Requested", 100),
		"T2": TopUpState("T2", "B", "EUR", "Pending", 50),
		"T3": TopUpState("T3", "A", "EUR", "Requested", 30),
	}
	accounts = {"A": AccountState("A", "EUR", "Active", 10), "B": AccountState("B", "EUR", "Active", -5)}
	p = plan([credit("T1", 100, "L1"), credit("T2", 50, "L2"), credit("T3", 30, "L3")], top_ups, accounts)
	assert [(x.credit.source_name, x.account, x.balance_after_minor) for x in p.postings] == [
		("L1", "A", 110),
		("L2", "B", 45),
		("L3", "A", 140),
	]
	assert p.balances == {"A": 140, "B": 45}
	assert p.confirm == [("T1", 0), ("T2", 1), ("T3", 2)]
	assert p.last_per_account() == {"A": 2, "B": 1}
	assert {k: o.status for k, o in p.outcomes.items()} == {"L1": POSTED, "L2": POSTED, "L3": POSTED}


def test_what_is_not_posted_and_why():
	top_ups = {
		"T1": TopUpState("T1", "A", "EUR", "Confirmed", 100, "CLE-9"),  # paid by a webhook
		"T2": TopUpState("T2", "A", "USD", "Requested", 50),  # another currency than its account
		"T3": TopUpState("T3", "C", "EUR", "Requested", 30),  # a closed account
		"T4": TopUpState("T4", "A", "EUR", "Requested", 40),
		"T5": TopUpState("T5", "A", "EUR", "Requested", 40),
		"T6": TopUpState("T6", "Z", "EUR", "Requested", 40),  # no such account
	}
	accounts = {"A": AccountState("A", "EUR", "Active", 0), "C": AccountState("C", "EUR", "Closed", 0)}
	known = [
		KnownEntry("CLE-9", "stripe:evt_1", "A", ledger.TOP_UP, 100, "CC Payment Event", "EV-1"),
		KnownEntry("CLE-7", "bank:DE1:L5", "A", ledger.CALL_CHARGE, -3),  # the key, used for another posting
	]
	p = plan(
		[
			credit("T1", 100, "L1"),
			credit("T2", 50, "L2"),
			credit("T3", 30, "L3"),
			credit("T4", 40, "L4"),
			credit("T4", 40, "L4b"),  # the same top-up twice in one import
			credit("T5", 40, "L5"),
			credit("T6", 40, "L6"),
			credit("T9", 40, "L9"),
			credit("T5", 40, "L7", key="call:x"),  # a key that is no Top-up's
		],
		top_ups,
		accounts,
		known,
	)
	got = {k: (o.status, o.entry) for k, o in p.outcomes.items()}
	assert got == {
		"L1": (OTHER, "CLE-9"),
		"L2": (REFUSED, None),
		"L3": (REFUSED, None),
		"L4": (POSTED, None),
		"L4b": (OTHER, None),
		"L5": (REFUSED, "CLE-7"),
		"L6": (REFUSED, None),
		"L9": (REFUSED, None),
		"L7": (REFUSED, None),
	}
	reasons = {k: o.reason for k, o in p.outcomes.items()}
	assert reasons["L1"] == "T1 was confirmed meanwhile by CLE-9"
	assert reasons["L2"].startswith("currency: top-up T2 is in USD, its account in EUR")
	assert reasons["L3"].startswith("account: C is closed")
	assert reasons["L4b"] == "T4 is credited by L4 in this import"
	assert reasons["L5"].startswith("idempotency_key: bank:DE1:L5 was used by entry CLE-7")
	assert reasons["L6"] == "account: no CC Credit Account 'Z'"
	assert reasons["L9"] == "top_up: no CC Top Up 'T9'"
	assert reasons["L7"].startswith("idempotency_key: 'call:x' is no key for a Top-up")
	assert [x.credit.source_name for x in p.postings] == ["L4"] and p.balances == {"A": 40}


def test_a_rerun_after_the_entry_but_before_the_top_up_was_marked_relinks_it():
	top_ups = {"T1": TopUpState("T1", "A", "EUR", "Requested", 100)}
	accounts = {"A": AccountState("A", "EUR", "Active", 100)}
	known = [KnownEntry("CLE-1", "bank:DE1:L1", "A", ledger.TOP_UP, 100, LINE, "L1")]
	p = plan([credit("T1", 100, "L1")], top_ups, accounts, known)
	assert (p.outcomes["L1"].status, p.outcomes["L1"].entry) == (ALREADY, "CLE-1")
	assert p.postings == [] and p.relink == [("T1", "CLE-1")] and p.balances == {}


def test_the_same_source_twice_is_a_caller_error():
	top_ups = {"T1": TopUpState("T1", "A", "EUR", "Requested", 100)}
	with pytest.raises(ValueError, match="L1"):
		plan([credit("T1", 100, "L1"), credit("T1", 100, "L1")], top_ups, {})


def test_series_names_continue_the_counter():
	assert series_names("CLE-", "", 41, 3, 8) == ["CLE-00000042", "CLE-00000043", "CLE-00000044"]
	assert series_names("X-", "-Y", 0, 1, 2) == ["X-01-Y"]
	assert series_names("CLE-", "", 99, 2, 2) == ["CLE-100", "CLE-101"]  # as "%02d" % 100 does
	assert series_names("CLE-", "", 5, 0, 8) == []
	with pytest.raises(ValueError):
		series_names("CLE-", "", 5, -1, 8)


def test_chunks():
	assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
	with pytest.raises(ValueError):
		list(chunks([1], 0))


# --- the model: confirm_top_up → post_entry, one credit at a time -----------------------------------------


def one_by_one(credits, top_ups, accounts, entries):
	"""The per-entry path's rules, credit by credit, over mutable copies: (outcomes, new entries, balances,
	top-up states)."""
	top_ups = dict(top_ups)
	balances = {a: s.balance_minor for a, s in accounts.items()}
	by_key = {e.key: e for e in entries}
	by_name = {e.name: e for e in entries}
	new, outcomes, n = [], {}, 0
	for c in credits:
		tu = top_ups.get(c.top_up)
		if tu is None:
			outcomes[c.source_name] = REFUSED
			continue
		if tu.status == "Confirmed" and tu.ledger_entry:
			outcomes[c.source_name] = (
				ALREADY if by_name[tu.ledger_entry].source_name == c.source_name else OTHER
			)
			continue
		account = accounts.get(tu.account)
		if account is None or tu.currency != account.currency:
			outcomes[c.source_name] = REFUSED
			continue
		e = by_key.get(c.key)
		if e is not None:
			if (e.account, e.kind, e.amount_minor) != (tu.account, ledger.TOP_UP, c.amount_minor):
				outcomes[c.source_name] = REFUSED
				continue
			top_ups[c.top_up] = TopUpState(
				tu.name, tu.account, tu.currency, "Confirmed", tu.amount_minor, e.name
			)
			outcomes[c.source_name] = ALREADY if e.source_name == c.source_name else OTHER
			continue
		if account.status == "Closed":
			outcomes[c.source_name] = REFUSED
			continue
		try:
			ledger.check_entry(
				ledger.Entry(c.key, account.name, ledger.TOP_UP, c.amount_minor),
				balance=balances[account.name],
			)
		except ledger.LedgerError:
			outcomes[c.source_name] = REFUSED
			continue
		n += 1
		balances[account.name] += c.amount_minor
		e = KnownEntry(f"NEW-{n}", c.key, account.name, ledger.TOP_UP, c.amount_minor, LINE, c.source_name)
		by_key[c.key], by_name[e.name] = e, e
		new.append((e, balances[account.name]))
		top_ups[c.top_up] = TopUpState(tu.name, tu.account, tu.currency, "Confirmed", tu.amount_minor, e.name)
		outcomes[c.source_name] = POSTED
	return outcomes, new, balances, top_ups


def apply(p, top_ups, accounts, entries):
	"""What the Frappe side writes for plan ``p`` (names NEW-1 …): the new state."""
	top_ups, accounts, entries = dict(top_ups), dict(accounts), list(entries)
	names = [f"NEW-{i}" for i in range(1, len(p.postings) + 1)]
	for i, x in enumerate(p.postings):
		entries.append(
			KnownEntry(
				names[i],
				x.credit.key,
				x.account,
				ledger.TOP_UP,
				x.credit.amount_minor,
				LINE,
				x.credit.source_name,
			)
		)
	for a, b in p.balances.items():
		s = accounts[a]
		accounts[a] = AccountState(a, s.currency, s.status, b)
	for t, e in [(t, names[i]) for t, i in p.confirm] + p.relink:
		s = top_ups[t]
		top_ups[t] = TopUpState(t, s.account, s.currency, "Confirmed", s.amount_minor, e)
	return top_ups, accounts, entries


@st.composite
def scenarios(draw):
	n_accounts = draw(st.integers(1, 3))
	accounts = {
		f"A{i}": AccountState(
			f"A{i}",
			draw(st.sampled_from(["EUR", "EUR", "USD"])),
			draw(st.sampled_from(["Active", "Active", "Closed"])),
			draw(st.integers(-500, 500)),
		)
		for i in range(n_accounts)
	}
	n_top_ups = draw(st.integers(1, 8))
	top_ups, entries = {}, []
	for i in range(n_top_ups):
		account = draw(st.sampled_from([*sorted(accounts), "A9"]))
		status = draw(st.sampled_from(["Requested", "Pending", "Confirmed"]))
		entry = None
		if status == "Confirmed":
			entry = f"OLD-{i}"
			source = draw(st.sampled_from(["EV-1", f"L{i}"]))
			entries.append(
				KnownEntry(
					entry,
					f"bank:DE1:{source}" if source != "EV-1" else f"stripe:e{i}",
					account,
					ledger.TOP_UP,
					100,
					LINE,
					source,
				)
			)
		top_ups[f"T{i}"] = TopUpState(
			f"T{i}", account, draw(st.sampled_from(["EUR", "USD"])), status, 100, entry
		)
	lines = draw(
		st.lists(st.tuples(st.integers(0, n_top_ups), st.integers(-5, 300)), min_size=1, max_size=12)
	)
	credits = [credit(f"T{t}", amount, f"L{j}") for j, (t, amount) in enumerate(lines)]
	if draw(st.booleans()) and credits[0].key not in {
		e.key for e in entries
	}:  # a key used for something else
		entries.append(KnownEntry("ODD-1", credits[0].key, "A0", ledger.CALL_CHARGE, -1))
	return credits, top_ups, accounts, entries


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_bulk_equals_one_by_one_and_a_rerun_posts_nothing(scenario):
	credits, top_ups, accounts, entries = scenario
	p = plan(credits, top_ups, accounts, entries)
	outcomes, new, balances, after = one_by_one(credits, top_ups, accounts, entries)
	assert {k: o.status for k, o in p.outcomes.items()} == outcomes
	assert [(x.credit.key, x.account, x.credit.amount_minor, x.balance_after_minor) for x in p.postings] == [
		(e.key, e.account, e.amount_minor, b) for e, b in new
	]
	for a, b in p.balances.items():
		assert b == balances[a]
	# the balance is the sum of the entries: stored balance + what was posted to it
	for a in accounts:
		assert balances[a] == accounts[a].balance_minor + sum(
			x.credit.amount_minor for x in p.postings if x.account == a
		)
	top_ups2, accounts2, entries2 = apply(p, top_ups, accounts, entries)
	assert {t: (s.status, s.ledger_entry) for t, s in top_ups2.items()} == {
		t: (s.status, s.ledger_entry) for t, s in after.items()
	}
	# every key once, every top-up credited once
	keys = [e.key for e in entries2]
	assert len(keys) == len(set(keys))
	# planned again over what was written: nothing more is posted, and posted lines are "already"
	again = plan(credits, top_ups2, accounts2, entries2)
	assert again.postings == [] and again.confirm == []
	for k, o in p.outcomes.items():
		if o.status in (POSTED, ALREADY):
			assert again.outcomes[k].status == ALREADY
