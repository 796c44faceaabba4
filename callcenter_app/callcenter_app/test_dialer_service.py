"""Bench tests of dialer/service.py: record_outcome and next_contacts on real records and row locks."""

import datetime as dt
import threading
import time
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, get_datetime, now_datetime

from callcenter_app.dialer import service
from callcenter_app.test_utils import (
	delete_campaign,
	make_campaign,
	make_campaign_contact,
	make_operator,
)
from callcenter_app.utils import from_utc

UTC = dt.timezone.utc
VILNIUS = "+37060012345"  # Europe/Vilnius
NEW_YORK = "+12125550143"  # America/New_York
# Monday 4 March 2024, 08:00 UTC: 10:00 in Vilnius, 03:00 in New York
MONDAY_8_UTC = dt.datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
WORKING_HOURS = [{"weekdays": "Mon-Fri", "start_time": "09:00:00", "end_time": "17:00:00"}]


def contact(name: str) -> frappe._dict:
	return frappe.db.get_value(
		"CC Campaign Contact",
		name,
		["status", "attempts", "next_attempt_at", "last_outcome", "dialing_operator"],
		as_dict=True,
	)


def open_callbacks(contact_name: str) -> list:
	return frappe.get_all(
		"CC Callback",
		filters={"campaign_contact": contact_name, "status": "Open"},
		fields=["name", "visibility", "owner_user", "due_at", "note"],
	)


class DialerCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.ann = make_operator("cc-op-ann@example.com")
		self.bob = make_operator("cc-op-bob@example.com")
		self.campaign = make_campaign(
			"CC Test Dialer",
			operators=(self.ann, self.bob),
			max_attempts=3,
			outcome_rules=[{"outcome": "Busy", "retry_after_minutes": 3}],
		)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def assertAbout(self, value, expected: dt.datetime, seconds: int = 60):
		self.assertLess(abs((get_datetime(value) - expected).total_seconds()), seconds)


class TestRecordOutcome(DialerCase):
	def test_a_retry_outcome_counts_an_attempt_and_waits_its_delay(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		attempt = service.create_attempt(name, self.ann)
		result = service.record_outcome(name, "no_answer", self.ann, attempt=attempt)
		row = contact(name)
		self.assertEqual((row.status, row.attempts, row.last_outcome), ("Retry", 1, "No answer"))
		self.assertAbout(row.next_attempt_at, add_to_date(now_datetime(), hours=2))
		self.assertEqual(
			(result["status"], result["attempt"], result["exhausted"]), ("Retry", attempt, False)
		)
		self.assertEqual(
			frappe.db.get_value("CC Call Attempt", attempt, ["outcome", "result"]), ("No answer", "no_answer")
		)
		self.assertTrue(frappe.db.get_value("CC Call Attempt", attempt, "ended_at"))
		# the campaign's own delay for Busy (3 minutes instead of the outcome's 15)
		service.record_outcome(name, "Busy", self.ann)
		self.assertAbout(contact(name).next_attempt_at, add_to_date(now_datetime(), minutes=3))

	def test_final_outcomes_close_the_contact(self):
		sold = make_campaign_contact(self.campaign, VILNIUS)
		service.record_outcome(sold, "Success", self.ann)
		self.assertEqual((contact(sold).status, contact(sold).next_attempt_at), ("Completed", None))
		refused = make_campaign_contact(self.campaign, NEW_YORK)
		service.record_outcome(refused, "refused", self.ann)
		self.assertEqual(contact(refused).status, "Closed")
		with self.assertRaisesRegex(frappe.ValidationError, "already Completed"):
			service.record_outcome(sold, "no_answer", self.ann)

	def test_attempts_never_go_above_the_maximum(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		service.record_outcome(name, "no_answer", self.ann)
		service.record_outcome(name, "busy", self.ann)
		result = service.record_outcome(
			name, "callback", self.ann, callback_at=add_to_date(now_datetime(), days=1)
		)
		self.assertEqual((contact(name).status, contact(name).attempts), ("Closed", 3))
		self.assertTrue(result["exhausted"])
		self.assertIsNone(result["callback"])  # a callback would be a fourth attempt
		self.assertEqual(open_callbacks(name), [])
		with self.assertRaisesRegex(frappe.ValidationError, "already Closed"):
			service.record_outcome(name, "no_answer", self.ann)
		self.assertEqual(contact(name).attempts, 3)

	def test_a_public_callback_for_the_campaign(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		due = add_to_date(now_datetime(), days=1)
		result = service.record_outcome(name, "callback", self.ann, callback_at=due, note="after lunch")
		[callback] = open_callbacks(name)
		self.assertEqual(callback.name, result["callback"])
		self.assertEqual(
			(callback.visibility, callback.owner_user, callback.note), ("Public", self.ann, "after lunch")
		)
		self.assertAbout(callback.due_at, due, seconds=1)
		self.assertEqual(contact(name).status, "Callback")
		self.assertAbout(contact(name).next_attempt_at, due, seconds=1)
		frappe.set_user(self.bob)  # any operator of the campaign sees it
		self.assertTrue(frappe.has_permission("CC Callback", "read", doc=callback.name))

	def test_a_private_callback_only_for_its_operator(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		result = service.record_outcome(
			name, "Call back", self.ann, callback_at=add_to_date(now_datetime(), hours=3), private=True
		)
		callback = frappe.get_doc("CC Callback", result["callback"])
		self.assertEqual((callback.visibility, callback.owner_user), ("Private", self.ann))
		frappe.set_user(self.bob)
		self.assertFalse(frappe.has_permission("CC Callback", "read", doc=callback))
		self.assertEqual(frappe.get_list("CC Callback", filters={"campaign_contact": name}), [])
		frappe.set_user(self.ann)
		self.assertEqual(
			frappe.get_list("CC Callback", filters={"campaign_contact": name}, pluck="name"), [callback.name]
		)

	def test_the_call_back_closes_its_callback_and_a_final_outcome_cancels_later_ones(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		due, later = (
			frappe.get_doc(
				{
					"doctype": "CC Callback",
					"campaign_contact": name,
					"due_at": add_to_date(now_datetime(), hours=hours),
				}
			)
			.insert()
			.name
			for hours in (-1, 5)
		)
		service.record_outcome(name, "no_answer", self.ann)
		status = lambda cb: frappe.db.get_value("CC Callback", cb, "status")  # noqa: E731
		self.assertEqual((status(due), status(later)), ("Done", "Open"))
		service.record_outcome(name, "success", self.ann)
		self.assertEqual(status(later), "Cancelled")

	def test_callback_times_are_checked(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		with self.assertRaisesRegex(frappe.ValidationError, "Call back at: must be in the future"):
			service.record_outcome(
				name, "callback", self.ann, callback_at=add_to_date(now_datetime(), hours=-1)
			)
		with self.assertRaisesRegex(
			frappe.ValidationError, "Call back at: outcome Busy does not schedule a callback"
		):
			service.record_outcome(name, "busy", self.ann, callback_at=add_to_date(now_datetime(), hours=1))
		with self.assertRaisesRegex(
			frappe.ValidationError, "Operator: a private callback needs its operator"
		):
			service.record_outcome(name, "callback", None, private=True)
		with self.assertRaisesRegex(frappe.ValidationError, "Outcome: Maybe is not a CC Outcome"):
			service.record_outcome(name, "Maybe", self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "Outcome: is required"):
			service.record_outcome(name, "", self.ann)
		self.assertEqual(contact(name).attempts, 0)  # nothing was written

	def test_do_not_call_puts_the_number_on_the_campaigns_list(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		result = service.record_outcome(name, "do_not_call", self.ann)
		self.assertEqual(result["dnc"], f"{VILNIUS}@{self.campaign}")
		self.assertEqual(contact(name).status, "Closed")
		self.assertEqual(service.dnc_numbers(self.campaign), (frozenset(), frozenset({VILNIUS})))
		self.assertEqual(frappe.db.get_value("CC DNC Number", result["dnc"], "added_by"), self.ann)

	def test_a_global_dnc_outcome(self):
		frappe.get_doc(
			{
				"doctype": "CC Outcome",
				"outcome_name": "CC Test Never",
				"code": "cc_test_never",
				"final": 1,
				"add_to_dnc": 1,
				"dnc_scope": "Global",
			}
		).insert()
		name = make_campaign_contact(self.campaign, VILNIUS)
		self.assertEqual(service.record_outcome(name, "cc_test_never", self.ann)["dnc"], VILNIUS)
		self.assertIn(VILNIUS, service.dnc_numbers("CC Test Other")[0])

	def test_the_same_outcome_for_the_same_attempt_is_recorded_once(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		attempt = service.create_attempt(name, self.ann)
		service.record_outcome(name, "no_answer", self.ann, attempt=attempt)
		again = service.record_outcome(name, "no_answer", self.ann, attempt=attempt)
		self.assertEqual((again["attempts"], contact(name).attempts), (1, 1))
		with self.assertRaisesRegex(
			frappe.ValidationError, f"attempt {attempt} already ended with No answer"
		):
			service.record_outcome(name, "busy", self.ann, attempt=attempt)
		other = service.create_attempt(make_campaign_contact(self.campaign, NEW_YORK), self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, f"attempt {other} belongs to contact"):
			service.record_outcome(name, "busy", self.ann, attempt=other)

	def test_only_operators_of_the_campaign_record_for_themselves(self):
		name = make_campaign_contact(self.campaign, VILNIUS)
		cid = make_operator("cc-op-cid@example.com")
		frappe.set_user(cid)
		with self.assertRaises(frappe.PermissionError):
			service.record_outcome(name, "no_answer", cid)
		with self.assertRaises(frappe.PermissionError):
			service.next_contacts(self.campaign, 1, cid)
		frappe.set_user(self.ann)
		with self.assertRaises(frappe.PermissionError):
			service.record_outcome(name, "no_answer", self.bob)
		service.record_outcome(name, "no_answer", self.ann)  # an operator writes through the service only
		self.assertEqual(contact(name).attempts, 1)


class TestNextContacts(DialerCase):
	def test_dnc_numbers_are_never_picked(self):
		service.add_dnc(VILNIUS, None)
		service.add_dnc(NEW_YORK, self.campaign)
		other = "+37060012399"
		for number in (VILNIUS, NEW_YORK, other):
			make_campaign_contact(self.campaign, number)
		picked = service.next_contacts(self.campaign, 5)
		self.assertEqual([frappe.db.get_value("CC Campaign Contact", n, "phone") for n in picked], [other])
		frappe.db.set_value("CC Campaign", self.campaign, "check_dnc", 0)  # the global list is not checked
		picked = service.next_contacts(self.campaign, 5)
		self.assertEqual([frappe.db.get_value("CC Campaign Contact", n, "phone") for n in picked], [VILNIUS])

	def test_windows_are_open_in_the_contacts_own_zone(self):
		frappe.get_doc("CC Campaign", self.campaign).update({"windows": WORKING_HOURS}).save()
		vilnius = make_campaign_contact(self.campaign, VILNIUS)
		new_york = make_campaign_contact(self.campaign, NEW_YORK)
		self.assertEqual(service.next_contacts(self.campaign, 5, now=MONDAY_8_UTC), [vilnius])
		# 15:00 UTC: 17:00 in Vilnius (closed, the end is exclusive), 10:00 in New York
		self.assertEqual(
			service.next_contacts(self.campaign, 5, now=MONDAY_8_UTC + dt.timedelta(hours=7)), [new_york]
		)

	def test_contacts_outside_their_window_do_not_hide_the_ones_behind_them(self):
		frappe.get_doc("CC Campaign", self.campaign).update({"windows": WORKING_HOURS}).save()
		for i in range(5):  # the best five are in New York, asleep at 03:00
			make_campaign_contact(self.campaign, f"+1212555014{i}", priority=10)
		vilnius = [make_campaign_contact(self.campaign, f"+3706001230{i}", priority=i) for i in range(2)]
		with patch.object(service, "BATCH", 2):  # read two rows, then four, then eight
			self.assertEqual(service.next_contacts(self.campaign, 2, now=MONDAY_8_UTC), vilnius[::-1])

	def test_due_callbacks_come_first_and_private_ones_only_for_their_operator(self):
		now = MONDAY_8_UTC
		due = from_utc(now - dt.timedelta(minutes=5))
		important = make_campaign_contact(self.campaign, "+37060012301", priority=10)
		public = make_campaign_contact(self.campaign, "+37060012302", status="Callback")
		bobs = make_campaign_contact(self.campaign, "+37060012303", status="Callback")
		later = make_campaign_contact(self.campaign, "+37060012304", status="Callback")
		for name, visibility, owner, when in (
			(public, "Public", self.ann, due),
			(bobs, "Private", self.bob, due),
			(later, "Public", self.ann, from_utc(now + dt.timedelta(hours=1))),
		):
			frappe.get_doc(
				{
					"doctype": "CC Callback",
					"campaign_contact": name,
					"due_at": when,
					"visibility": visibility,
					"owner_user": owner,
				}
			).insert()
		# ann: the public callback, then by priority; bob's private callback and the one not yet due wait
		self.assertEqual(service.next_contacts(self.campaign, 5, self.ann, now=now), [public, important])
		self.assertEqual(contact(public).dialing_operator, self.ann)
		self.assertEqual(service.next_contacts(self.campaign, 5, self.bob, now=now), [bobs])
		self.assertEqual(service.next_contacts(self.campaign, 5, now=now + dt.timedelta(hours=2)), [later])

	def test_a_contact_is_not_picked_twice_nor_before_its_retry_time(self):
		names = [make_campaign_contact(self.campaign, f"+3706001230{i}", priority=i) for i in range(4)]
		first = service.next_contacts(self.campaign, 2)
		self.assertEqual(first, [names[3], names[2]])
		self.assertEqual({contact(n).status for n in first}, {"Dialing"})
		second = service.next_contacts(self.campaign, 5)
		self.assertEqual(second, [names[1], names[0]])
		self.assertEqual(service.next_contacts(self.campaign, 5), [])
		service.record_outcome(names[3], "busy", self.ann)  # back in 3 minutes
		self.assertEqual(service.release_contacts([names[2]]), [names[2]])
		self.assertEqual(contact(names[2]).status, "New")
		self.assertEqual(service.next_contacts(self.campaign, 5), [names[2]])
		self.assertEqual(
			service.next_contacts(self.campaign, 5, now=add_to_date(now_datetime(), minutes=4)), [names[3]]
		)

	def test_contacts_left_dialing_for_hours_go_back_to_the_list(self):
		names = [make_campaign_contact(self.campaign, f"+3706001231{i}") for i in range(2)]
		self.assertEqual(sorted(service.next_contacts(self.campaign, 2)), sorted(names))
		frappe.db.set_value(
			"CC Campaign Contact", names[0], "dialing_since", add_to_date(now_datetime(), hours=-3)
		)
		self.assertEqual(service.release_stale_contacts(), [names[0]])
		self.assertEqual((contact(names[0]).status, contact(names[1]).status), ("New", "Dialing"))

	def test_only_active_outbound_campaigns_are_dialed(self):
		make_campaign_contact(self.campaign, VILNIUS)
		frappe.db.set_value("CC Campaign", self.campaign, "status", "Paused")
		self.assertEqual(service.next_contacts(self.campaign, 5), [])
		frappe.db.set_value("CC Campaign", self.campaign, "status", "Active")
		with self.assertRaisesRegex(
			frappe.ValidationError, "Operators: cc-op-cid@example.com is not an active"
		):
			service.next_contacts(self.campaign, 1, make_operator("cc-op-cid@example.com"))
		self.assertEqual(len(service.next_contacts(self.campaign, 5, self.ann)), 1)


class TestConcurrentPicks(FrappeTestCase):
	"""Two callers at once, each with its own database connection: the records must be committed."""

	CAMPAIGN = "CC Test Race"

	def setUp(self):
		frappe.set_user("Administrator")
		make_campaign(self.CAMPAIGN)
		self.contacts = [
			make_campaign_contact(self.CAMPAIGN, f"+3706001240{i}", priority=i) for i in range(6)
		]
		frappe.db.commit()

	def tearDown(self):
		frappe.db.rollback()
		delete_campaign(self.CAMPAIGN)
		frappe.db.commit()

	def test_two_callers_at_once_never_get_the_same_contact(self):
		site, sites_path = frappe.local.site, frappe.local.sites_path
		claimed, other = threading.Event(), {}

		def first_caller():
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				frappe.set_user("Administrator")
				other["picked"] = service.next_contacts(self.CAMPAIGN, 3)
				claimed.set()
				time.sleep(1.5)  # hold the row locks while the second caller picks
				frappe.db.commit()
			finally:
				claimed.set()
				frappe.destroy()

		thread = threading.Thread(target=first_caller)
		thread.start()
		self.assertTrue(claimed.wait(60))
		started = time.monotonic()
		mine = service.next_contacts(self.CAMPAIGN, 3)  # reads the same best three, then waits on their locks
		waited = time.monotonic() - started
		thread.join(60)
		self.assertEqual(other["picked"], self.contacts[:2:-1])  # priorities 5, 4, 3
		self.assertEqual(mine, self.contacts[2::-1])  # the next three, not the first caller's
		self.assertGreater(waited, 1.0)  # it did wait for the first caller's locks
		frappe.db.commit()  # a fresh snapshot: this transaction still read the rows as they were before
		self.assertEqual(
			frappe.db.count("CC Campaign Contact", {"campaign": self.CAMPAIGN, "status": "Dialing"}), 6
		)
