# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for charging calls to prepaid credit (credit/charging/service.py): a rate plan refuses bad
values by field, the rating job charges each answered outbound call once (run twice, and with its marker
lost), the dialer, the preview Call button and click-to-call refuse at zero balance with the reason the
console shows, and the low-balance notice goes out once until a top-up lifts the balance above it.

The rating job commits (one transaction per call, as in production), so these tests clean up after
themselves by name instead of rolling back."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import console as console_api
from callcenter_app.credit import service as credit
from callcenter_app.credit.charging import service as charging
from callcenter_app.dialer import service as dialer
from callcenter_app.dialer.process.service import FrappeStore
from callcenter_app.test_utils import (
	delete_campaign,
	make_agent,
	make_call_log,
	make_call_queue,
	make_campaign,
	make_campaign_contact,
	make_credit_account,
	make_user,
	peer_thread,
	purge_credit,
)

PLAN = "CC Test Plan"
CUSTOMER = "CC Test Rating Customer"
CAMPAIGN = "CC Test Rating Campaign"
LT_MOBILE = "+37060012345"


def make_plan(name: str = PLAN, **values) -> str:
	if frappe.db.exists("CC Rate Plan", name):
		frappe.delete_doc("CC Rate Plan", name, force=True, ignore_permissions=True)
	doc = frappe.get_doc(
		{
			"doctype": "CC Rate Plan",
			"plan_name": name,
			"currency": "EUR",
			"billing_increment": "60/60",
			"rates": [
				{"prefix": "370", "rate_per_minute": "0.05", "description": "Lithuania"},
				{"prefix": "3706", "rate_per_minute": "0.10", "description": "Lithuania mobile"},
			],
			**values,
		}
	)
	return doc.insert(ignore_permissions=True).name


class CreditCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.ann = make_agent("cc-credit-ann@example.com", "cc-credit-ann", roles=("Agent", "Operator"))
		cls.boss = make_user("cc-credit-boss@example.com", ("Call Center Manager",))
		frappe.db.commit()

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("System Settings", "country", "Lithuania")
		self.cleanup()
		self.plan = make_plan()
		self.account = make_credit_account(CUSTOMER, rate_plan=self.plan)
		self.campaign = make_campaign(CAMPAIGN, operators=(self.ann,), credit_account=self.account)
		frappe.db.commit()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		self.cleanup()

	def cleanup(self):
		account = frappe.db.get_value("CC Credit Account", {"customer": CUSTOMER}, "name")
		frappe.db.delete("CC Call Log", {"linkedid": ("like", "cc-test-rating-%")})
		if frappe.db.exists("CC Campaign", CAMPAIGN):
			delete_campaign(CAMPAIGN)
		if account:
			frappe.db.delete(
				"Notification Log", {"document_type": "CC Credit Account", "document_name": account}
			)
			frappe.db.delete(
				"Email Queue", {"reference_doctype": "CC Credit Account", "reference_name": account}
			)
			purge_credit([account])
		frappe.db.delete("CC Rate Plan", {"name": PLAN})
		frappe.db.delete("CC Rate Plan Row", {"parent": PLAN})
		frappe.db.commit()

	def top_up(self, amount: int, key: str) -> None:
		credit.post_entry(self.account, "Top-up", amount, None, None, f"manual:{key}")
		frappe.db.commit()

	def balance(self) -> int:
		return int(frappe.db.get_value("CC Credit Account", self.account, "balance_minor"))


class TestRatePlan(CreditCase):
	def test_bad_values_are_refused_by_field(self):
		cases = [
			({"billing_increment": "60"}, "Billing Increment: '60' is no increment"),
			({"connection_fee": "0.001"}, "Connection Fee: 0.001 has more decimals than EUR has"),
			({"rates": [{"prefix": "37a", "rate_per_minute": "1"}]}, "Prefix: rates row 1"),
			(
				{"rates": [{"prefix": "370", "rate_per_minute": "-1"}]},
				"Rate per Minute: rates row 1: -1 is negative",
			),
			(
				{
					"rates": [
						{"prefix": "370", "rate_per_minute": "1"},
						{"prefix": "+370", "rate_per_minute": "2"},
					]
				},
				"listed twice",
			),
		]
		for values, message in cases:
			with self.subTest(values=values), self.assertRaisesRegex(frappe.ValidationError, message):
				make_plan("CC Test Plan Bad", **values)

	def test_an_account_takes_a_plan_of_its_currency_only(self):
		usd = make_plan("CC Test Plan USD", currency="USD")
		try:
			doc = frappe.get_doc("CC Credit Account", self.account)
			doc.rate_plan = usd
			with self.assertRaisesRegex(frappe.ValidationError, "prices in USD, the account is in EUR"):
				doc.save()
		finally:
			frappe.db.rollback()
			frappe.delete_doc("CC Rate Plan", usd, force=True, ignore_permissions=True)
			frappe.db.commit()


class TestRatingJob(CreditCase):
	def calls(self):
		base = {"direction": "outbound", "campaign": self.campaign, "caller": LT_MOBILE}
		start = "2026-12-04 10:00:00"
		return {
			# 61 s at 0.10 €/min, 60/60 → 2 min → 20 c
			"mobile": make_call_log("cc-test-rating-1", start, **base, billable_s=61),
			# 61 s at 0.05 €/min (prefix 370) → 10 c; a national number, read in the site's country
			"landline": make_call_log(
				"cc-test-rating-2", start, **{**base, "caller": "8 5 212 3456"}, billable_s=61
			),
			"zero": make_call_log("cc-test-rating-3", start, **base, billable_s=0),
			"france": make_call_log(
				"cc-test-rating-4", start, **{**base, "caller": "+33123456789"}, billable_s=30
			),
			"failed": make_call_log("cc-test-rating-5", start, **base, status="failed", billable_s=0),
			"inbound": make_call_log("cc-test-rating-6", start, caller=LT_MOBILE, billable_s=100),
		}

	def status(self, name):
		return frappe.db.get_value(
			"CC Call Log", name, ["credit_status", "credit_entry", "credit_note"], as_dict=True
		)

	def test_each_call_is_charged_once_and_a_second_run_charges_nothing(self):
		self.top_up(1000, "rating")
		calls = self.calls()
		frappe.db.commit()
		first = charging.rate_pending_calls()
		self.assertGreaterEqual(first["Charged"], 2)
		self.assertEqual(self.balance(), 1000 - 20 - 10)
		mobile = self.status(calls["mobile"])
		self.assertEqual(mobile.credit_status, "Charged")
		entry = frappe.get_doc("CC Credit Ledger Entry", mobile.credit_entry)
		self.assertEqual(
			(entry.kind, entry.amount_minor, entry.idempotency_key, entry.source_name),
			("Call Charge", -20, f"call:{calls['mobile']}", calls["mobile"]),
		)
		self.assertEqual(self.status(calls["landline"]).credit_status, "Charged")
		self.assertEqual(self.status(calls["zero"]).credit_status, "Free")
		france = self.status(calls["france"])
		self.assertEqual(france.credit_status, "No Rate")  # reported, not silently free
		self.assertIn("no rate in the plan for +33123456789", france.credit_note)
		self.assertFalse(self.status(calls["failed"]).credit_status)  # not answered: never rated
		self.assertFalse(self.status(calls["inbound"]).credit_status)

		charging.rate_pending_calls()  # again: nothing new
		self.assertEqual(self.balance(), 970)
		self.assertEqual(
			frappe.db.count("CC Credit Ledger Entry", {"account": self.account, "kind": "Call Charge"}), 2
		)

		# even with its marker lost, a call is not charged twice: the entry's key is the call's
		frappe.db.set_value("CC Call Log", calls["mobile"], "credit_status", None)
		frappe.db.commit()
		charging.rate_pending_calls()
		self.assertEqual(self.balance(), 970)
		self.assertEqual(
			frappe.db.count("CC Credit Ledger Entry", {"account": self.account, "kind": "Call Charge"}), 2
		)
		self.assertEqual(credit.ledger_sum(self.account), (970, 970))

		# the plan gets the prefix: the unrated call is rated again on request
		plan = frappe.get_doc("CC Rate Plan", self.plan)
		plan.append("rates", {"prefix": "33", "rate_per_minute": "0.20"})
		plan.save()
		charging.rerate([calls["france"]])
		charging.rate_pending_calls()
		self.assertEqual(self.status(calls["france"]).credit_status, "Charged")
		self.assertEqual(self.balance(), 970 - 20)  # 30 s → 60 s at 0.20 €/min


class TestZeroBalanceGuard(CreditCase):
	def test_the_preview_call_is_refused_with_the_reason_and_the_console_says_why(self):
		contact = make_campaign_contact(self.campaign, LT_MOBILE)
		frappe.set_user(self.ann)
		view = console_api.next_preview(self.campaign)
		self.assertEqual(view["contact"]["name"], contact)
		self.assertIn("has no credit left (balance 0.00 EUR)", view["campaign"]["credit_stop"])
		with peer_thread() as peer:
			with self.assertRaisesRegex(
				frappe.ValidationError, "Credit Account: credit account .* has no credit left"
			):
				console_api.dial(self.campaign, contact)
			self.assertEqual([a["Action"] for a in peer.received], [])
		self.assertEqual(frappe.db.count("CC Call Attempt", {"campaign_contact": contact}), 0)
		(listed,) = [c for c in console_api.my_campaigns()["campaigns"] if c["name"] == self.campaign]
		self.assertIn("no credit left", listed["credit_stop"])

		frappe.set_user("Administrator")
		self.top_up(500, "guard")
		frappe.set_user(self.ann)
		with peer_thread() as peer:
			console_api.dial(self.campaign, contact)
			self.assertIn("Originate", [a["Action"] for a in peer.received])
		self.assertIsNone(console_api.current(self.campaign)["campaign"]["credit_stop"])

	def test_the_dialer_stops_placing_calls_for_the_campaign(self):
		queue = "cc-test-rating-queue"
		if not frappe.db.exists("CC Call Queue", queue):
			make_call_queue(queue, [])
		frappe.db.set_value("CC Campaign", self.campaign, {"dialer_mode": "Progressive", "call_queue": queue})
		make_campaign_contact(self.campaign, LT_MOBILE)
		frappe.db.commit()
		store = FrappeStore()
		self.assertNotIn(self.campaign, [c.name for c in store.campaigns()])
		self.assertEqual(store.claim(self.campaign, ["a1"]), [])
		self.assertEqual(frappe.db.count("CC Call Attempt", {"campaign": self.campaign}), 0)
		self.top_up(500, "dialer")
		self.assertIn(self.campaign, [c.name for c in store.campaigns()])
		claims = store.claim(self.campaign, ["a2"])
		self.assertEqual([c.phone for c in claims], [LT_MOBILE])

	def test_click_to_call_is_refused_for_a_sip_account_on_an_empty_account(self):
		frappe.db.set_value("CC SIP Account", "cc-credit-ann", "credit_account", self.account)
		refused = dialer.manual_dial_refusal(LT_MOBILE, self.ann, from_ticket=True)
		self.assertEqual(refused.field, "number")
		self.assertIn("has no credit left", refused.reason)
		frappe.db.set_value("CC SIP Account", "cc-credit-ann", "credit_account", None)
		frappe.db.commit()


def outgoing_account() -> str:
	name = "CC Credit Outgoing"
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": "credit.cc@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "smtp.example.com",
				"no_smtp_authentication": 1,
				"enable_incoming": 0,
				"awaiting_password": 0,
			}
		).insert(ignore_permissions=True)
	frappe.db.set_value("Email Account", name, {"enable_outgoing": 1, "default_outgoing": 1})
	return name


class TestLowBalanceNotice(CreditCase):
	def tearDown(self):
		super().tearDown()
		# the test's outgoing account off again: left on, every later Notification Log on the site is mailed at
		# once and commits (frappe.sendmail now=in_test), so other modules' rolled-back data would stay
		if frappe.db.exists("Email Account", "CC Credit Outgoing"):
			frappe.db.set_value(
				"Email Account", "CC Credit Outgoing", {"enable_outgoing": 0, "default_outgoing": 0}
			)
			frappe.db.commit()
		frappe.local.outgoing_email_account = {}

	def notices(self):
		return frappe.db.count(
			"Notification Log",
			{"document_type": "CC Credit Account", "document_name": self.account, "for_user": self.boss},
		)

	def emails(self):
		return frappe.db.count(
			"Email Queue", {"reference_doctype": "CC Credit Account", "reference_name": self.account}
		)

	def test_without_outgoing_email_the_charge_still_posts_and_the_desk_notice_goes_out(self):
		# no commit in this test: the outgoing accounts are switched off for its transaction only
		frappe.db.sql("update `tabEmail Account` set enable_outgoing=0, default_outgoing=0")
		frappe.local.outgoing_email_account = {}
		try:
			frappe.db.set_value("CC Credit Account", self.account, "low_balance_threshold_minor", 500)
			credit.post_entry(self.account, "Top-up", 1000, None, None, "manual:m1")
			entry = credit.post_entry(self.account, "Call Charge", -600, None, None, "call:cc-test-m1")
			self.assertEqual(entry.balance_after_minor, 400)
			self.assertEqual((self.notices(), self.emails()), (1, 0))
		finally:
			frappe.db.rollback()
			frappe.local.outgoing_email_account = {}

	def test_once_below_the_threshold_until_topped_up_above_it(self):
		outgoing_account()
		frappe.db.set_value("CC Credit Account", self.account, "low_balance_threshold_minor", 500)
		self.top_up(1000, "n1")
		self.assertEqual(self.notices(), 0)
		credit.post_entry(self.account, "Call Charge", -600, None, None, "call:cc-test-n1")  # 400 left
		self.assertEqual((self.notices(), self.emails()), (1, 1))
		credit.post_entry(self.account, "Call Charge", -100, None, None, "call:cc-test-n2")  # 300
		credit.post_entry(self.account, "Call Charge", -300, None, None, "call:cc-test-n3")  # 0
		self.assertEqual((self.notices(), self.emails()), (1, 1))
		self.assertEqual(frappe.db.get_value("CC Credit Account", self.account, "low_balance_notified"), 1)
		self.top_up(450, "n2")  # 450: still below, no new notice
		self.assertEqual(self.notices(), 1)
		self.top_up(1000, "n3")  # 1450: above, re-armed
		self.assertEqual(frappe.db.get_value("CC Credit Account", self.account, "low_balance_notified"), 0)
		credit.post_entry(self.account, "Call Charge", -1000, None, None, "call:cc-test-n4")  # 450
		self.assertEqual((self.notices(), self.emails()), (2, 2))
		log = frappe.get_last_doc("Notification Log", {"document_name": self.account, "for_user": self.boss})
		self.assertIn("Low credit on", log.subject)
		self.assertIn("4.50 EUR", log.subject)
