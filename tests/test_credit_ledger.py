"""credit/ledger.py: entry kinds and signs, corrections, idempotency keys, balance = sum of entries."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter_app.credit.ledger import (
	CALL_CHARGE,
	CORRECTION,
	REFUND,
	TOP_UP,
	Entry,
	Ledger,
	LedgerError,
	balance,
	below_threshold,
	can_dial,
	charge_key,
	check_shape,
	fold,
	gateway_key,
	statement_key,
)


def test_keys():
	assert charge_key("CALL-0001") == "call:CALL-0001"
	assert gateway_key("Stripe", "evt_1") == "stripe:evt_1"
	assert (
		statement_key("DE89370400440532013000", "2026120400001")
		== "bank:DE89370400440532013000:2026120400001"
	)
	with pytest.raises(LedgerError, match="gateway"):
		gateway_key("bitcoin", "x")
	with pytest.raises(LedgerError, match="line_id"):
		statement_key("DE89", " ")


@pytest.mark.parametrize(
	("entry", "field", "reason"),
	[
		(Entry("stripe:e", "A", "Gift", 5), "kind", "no entry kind"),
		(Entry("stripe:e", "A", TOP_UP, -5), "amount_minor", "positive"),
		(Entry("stripe:e", "A", TOP_UP, 0), "amount_minor", "is 0"),
		(Entry("stripe:e", "A", TOP_UP, 5.0), "amount_minor", "whole number"),
		(Entry("call:1", "A", CALL_CHARGE, 5), "amount_minor", "negative"),
		(Entry("refund:1", "A", REFUND, 5), "amount_minor", "negative"),
		(Entry("call:1", "A", TOP_UP, 5), "idempotency_key", "no key for a Top-up"),
		(Entry("stripe:1", "A", CALL_CHARGE, -5), "idempotency_key", "no key for a Call Charge"),
		(Entry("call:", "A", CALL_CHARGE, -5), "idempotency_key", "no key"),
		(Entry("correction:1", "A", CORRECTION, 5), "against", "names the entry"),
		(Entry("call:1", "A", CALL_CHARGE, -5, against="x"), "against", "only a Correction"),
		(Entry("call:1", "", CALL_CHARGE, -5), "account", "empty"),
	],
)
def test_shape(entry, field, reason):
	with pytest.raises(LedgerError) as e:
		check_shape(entry)
	assert e.value.field == field and reason in e.value.reason


def test_corrections():
	led = Ledger()
	led.post(Entry("stripe:e1", "A", TOP_UP, 1000))
	led.post(Entry("call:c1", "A", CALL_CHARGE, -300))
	led.post(Entry("stripe:e2", "B", TOP_UP, 50))
	# a wrongly charged call: give back 100, then the other 200; not a unit more
	assert led.post(Entry("correction:1", "A", CORRECTION, 100, against="call:c1")) == "posted"
	with pytest.raises(LedgerError, match=r"only 200 .* left"):
		led.post(Entry("correction:2", "A", CORRECTION, 201, against="call:c1"))
	led.post(Entry("correction:2", "A", CORRECTION, 200, against="call:c1"))
	with pytest.raises(LedgerError, match="only 0"):
		led.post(Entry("correction:3", "A", CORRECTION, 1, against="call:c1"))
	assert led.balance("A") == 1000
	with pytest.raises(LedgerError, match="opposite sign"):
		led.post(Entry("correction:4", "A", CORRECTION, 5, against="stripe:e1"))
	with pytest.raises(LedgerError, match="another account"):
		led.post(Entry("correction:5", "A", CORRECTION, -5, against="stripe:e2"))
	with pytest.raises(LedgerError, match="no entry"):
		led.post(Entry("correction:6", "A", CORRECTION, -5, against="stripe:nope"))
	with pytest.raises(LedgerError, match="cannot be corrected"):
		led.post(Entry("correction:7", "A", CORRECTION, -5, against="correction:1"))
	# a top-up booked twice by hand is reversed in full
	led.post(Entry("correction:8", "A", CORRECTION, -1000, against="stripe:e1"))
	assert led.balance("A") == 0 and led.balance("B") == 50


def test_refund_never_more_than_the_balance():
	led = Ledger()
	led.post(Entry("bank:x:1", "A", TOP_UP, 500))
	led.post(Entry("call:1", "A", CALL_CHARGE, -200))
	with pytest.raises(LedgerError, match="more than the balance 300"):
		led.post(Entry("refund:1", "A", REFUND, -301))
	led.post(Entry("refund:1", "A", REFUND, -300))
	assert led.balance("A") == 0


def test_a_charge_may_overdraw():
	led = Ledger()
	led.post(Entry("bank:x:1", "A", TOP_UP, 5))
	led.post(Entry("call:1", "A", CALL_CHARGE, -20))
	assert led.balance("A") == -15 and not can_dial(-15) and not can_dial(0) and can_dial(1)


def test_same_key_twice():
	led = Ledger()
	charge = Entry("call:CALL-1", "A", CALL_CHARGE, -20)
	assert led.post(charge) == "posted"
	assert led.post(charge) == "duplicate"
	with pytest.raises(LedgerError, match="used for another entry"):
		led.post(Entry("call:CALL-1", "A", CALL_CHARGE, -21))
	assert led.balance("A") == -20


def test_threshold_notice_once_until_topped_up():
	notified, sent = False, []
	for bal in (1000, 600, 500, 400, 100, 0, 450, 800, 300, 200):
		send, notified = below_threshold(bal, 500, notified)
		sent.append(send)
	assert sent == [False, False, True, False, False, False, False, False, True, False]


# --- properties ---------------------------------------------------------------------------------

ACCOUNTS = ("A", "B", "C")


@st.composite
def operations(draw):
	"""A random sequence of top-ups, charges, refunds and corrections (some invalid, some repeated)."""
	ops = []
	for i in range(draw(st.integers(1, 60))):
		kind = draw(st.sampled_from((TOP_UP, TOP_UP, CALL_CHARGE, CALL_CHARGE, CORRECTION, REFUND)))
		account = draw(st.sampled_from(ACCOUNTS))
		amount = draw(st.integers(1, 5000))
		if kind == TOP_UP:
			ops.append(Entry(f"stripe:evt{i}", account, TOP_UP, amount))
		elif kind == CALL_CHARGE:
			ops.append(Entry(charge_key(f"CALL-{i}"), account, CALL_CHARGE, -amount))
		elif kind == REFUND:
			ops.append(Entry(f"refund:{i}", account, REFUND, -amount))
		elif ops:
			target = draw(st.sampled_from(ops))
			sign = -1 if target.amount_minor > 0 else 1
			ops.append(Entry(f"correction:{i}", account, CORRECTION, sign * amount, against=target.key))
		if ops and draw(st.booleans()):
			ops.append(draw(st.sampled_from(ops)))  # a retried event
	return ops


def run(ops):
	led, posted = Ledger(), []
	for op in ops:
		try:
			if led.post(op) == "posted":
				posted.append(op)
		except LedgerError:
			pass
	return led, posted


@settings(max_examples=120, deadline=None)
@given(operations())
def test_balance_is_the_sum_of_posted_entries(ops):
	led, posted = run(ops)
	for account in ACCOUNTS:
		assert led.balance(account) == sum(e.amount_minor for e in posted if e.account == account)
		assert led.balance(account) == balance(posted, account) == balance(posted + posted, account)
	assert fold(posted) == {a: b for a, b in led.balances.items()}
	# every correction stays within its target, refunds never overdraw
	for target_key, total in led.corrected.items():
		assert abs(total) <= abs(led.entries[target_key].amount_minor)


@settings(max_examples=120, deadline=None)
@given(operations(), st.randoms(use_true_random=False))
def test_applying_everything_again_changes_nothing(ops, rnd):
	led, posted = run(ops)
	before = (dict(led.balances), dict(led.entries))
	again = list(posted)
	rnd.shuffle(again)
	for entry in again:
		assert led.post(entry) == "duplicate"
	assert (dict(led.balances), dict(led.entries)) == before


@settings(max_examples=80, deadline=None)
@given(operations(), st.randoms(use_true_random=False))
def test_order_of_independent_entries_does_not_change_the_balance(ops, rnd):
	"""Top-ups and charges (no refunds, whose check reads the balance) in any interleaving: same balances."""
	plain = [e for e in ops if e.kind in (TOP_UP, CALL_CHARGE)]
	led1, _ = run(plain)
	shuffled = list(plain)
	rnd.shuffle(shuffled)
	led2, _ = run(shuffled)
	assert led1.balances == led2.balances
