# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: the AMI bridge's CC Call Log upsert is idempotent, maps the record, refuses bad records
alone, and the log is not readable without a role."""

from pathlib import Path

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.telephony.ami.calls import CallTracker
from callcenter_app.telephony.ami.protocol import FrameParser
from callcenter_app.telephony.service import upsert_call_logs

RECORDING = Path(__file__).resolve().parents[4] / "tests" / "data" / "asterisk" / "answered.ami"


def recorded_call() -> dict:
	tracker = CallTracker()
	events = [m for m in FrameParser().feed(RECORDING.read_bytes()) if "Event" in m]
	(record,) = tracker.feed_all(events) + tracker.finish_all()
	return record.as_dict()


class TestCallLogUpsert(FrappeTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_upsert_is_idempotent(self):
		record = recorded_call()
		self.assertEqual(upsert_call_logs([record])["inserted"], 1)
		log = frappe.get_doc("CC Call Log", record["linkedid"])
		self.assertEqual(
			(log.status, log.queue, log.answered_by, log.talk_s), ("answered", "support", "Agent One", 3)
		)
		self.assertEqual(log.caller, "5551001")
		modified = log.modified
		again = upsert_call_logs([record, dict(record)])
		self.assertEqual(again, {"inserted": 0, "updated": 0, "unchanged": 2, "refused": 0})
		self.assertEqual(frappe.db.count("CC Call Log", {"linkedid": record["linkedid"]}), 1)
		self.assertEqual(frappe.db.get_value("CC Call Log", record["linkedid"], "modified"), modified)

	def test_a_later_record_updates_the_log(self):
		record = recorded_call()
		upsert_call_logs([{**record, "complete": False, "talk_s": None}])
		counts = upsert_call_logs([record])
		self.assertEqual(counts["updated"], 1)
		self.assertEqual(
			frappe.db.get_value("CC Call Log", record["linkedid"], ["talk_s", "complete"]), (3, 1)
		)

	def test_times_are_stored_in_the_system_zone(self):
		frappe.db.set_single_value("System Settings", "time_zone", "Europe/Vilnius")
		frappe.clear_cache()
		record = recorded_call()
		upsert_call_logs([record])
		start = frappe.db.get_value("CC Call Log", record["linkedid"], "start")
		# the recording started at 09:17:19 UTC on 2026-11-22, 11:17:19 in Vilnius
		self.assertEqual(start.strftime("%Y-%m-%d %H:%M:%S"), "2026-11-22 11:17:19")

	def test_bad_record_is_refused_alone(self):
		good = recorded_call()
		bad = {**good, "linkedid": "", "status": "answered"}
		worse = {**good, "linkedid": "x.1", "status": "exploded"}
		counts = upsert_call_logs([bad, worse, good])
		self.assertEqual((counts["refused"], counts["inserted"]), (2, 1))
		self.assertFalse(frappe.db.exists("CC Call Log", "x.1"))

	def test_agent_is_resolved_from_the_sip_account(self):
		frappe.get_doc(
			{
				"doctype": "CC SIP Account",
				"username": "t-log-ann",
				"secret": "ann-secret-123456",
				"user": "Administrator",
			}
		).insert()
		record = {**recorded_call(), "agent_interface": "PJSIP/t-log-ann"}
		upsert_call_logs([record])
		self.assertEqual(frappe.db.get_value("CC Call Log", record["linkedid"], "agent"), "Administrator")

	def test_call_logs_need_a_role(self):
		upsert_call_logs([recorded_call()])
		frappe.set_user("Guest")
		self.assertFalse(frappe.has_permission("CC Call Log", "read"))
		with self.assertRaises(frappe.PermissionError):
			frappe.get_list("CC Call Log")
