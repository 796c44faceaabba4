"""Bench tests of telephony/call_logs/service.py: the AMI bridge's CC Call Log upsert is idempotent, maps the
record, refuses bad records alone (poison) and raises on an outage; the log is not readable without a
role."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.telephony.call_logs.service import upsert_call_logs
from callcenter_app.test_utils import make_call_queue, recorded_call


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

	def test_unknown_times_are_idempotent_too(self):
		# an abandoned call has no ring time; Frappe stores the Int as 0, and writing it again must not
		# try to put NULL into the column (that failed the bridge's whole batch, again and again)
		record = {**recorded_call(), "ring_s": None, "talk_s": None}
		upsert_call_logs([record])
		self.assertEqual(upsert_call_logs([record])["unchanged"], 1)

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

	def test_a_recovered_call_of_a_recording_queue_finds_its_file(self):
		"""A record recovered from the PBX's logs names no recording; the file app_queue wrote is
		<linkedid>.wav in the recordings folder: the log points at it, when the queue records and the file
		is there (a live two-tenant run showed a recovered call without it)."""
		import os
		import tempfile

		make_call_queue("qt-rec", [])
		frappe.db.set_value("CC Call Queue", "qt-rec", "record_calls", 1)
		make_call_queue("qt-norec", [])
		with tempfile.TemporaryDirectory() as folder:
			frappe.db.set_single_value("CC Settings", "recordings_folder", folder)
			base = {**recorded_call(), "recording": "", "complete": False}
			cases = {
				"rec.1": ("qt-rec", True),  # found
				"rec.2": ("qt-rec", False),  # the file is not there
				"rec.3": ("qt-norec", True),  # the queue does not record
			}
			for linkedid, (queue, with_file) in cases.items():
				if with_file:
					with open(os.path.join(folder, f"{linkedid}.wav"), "wb") as f:
						f.write(b"RIFF")
				upsert_call_logs([{**base, "linkedid": linkedid, "queue": queue}])
			got = {k: frappe.db.get_value("CC Call Log", k, "recording") for k in cases}
			self.assertEqual(
				got, {"rec.1": os.path.join(os.path.realpath(folder), "rec.1.wav"), "rec.2": "", "rec.3": ""}
			)
			# a live record's own file name is kept; writing the recovered one again changes nothing
			upsert_call_logs([{**base, "linkedid": "rec.4", "queue": "qt-rec", "recording": "/pbx/x.wav"}])
			self.assertEqual(frappe.db.get_value("CC Call Log", "rec.4", "recording"), "/pbx/x.wav")
			again = upsert_call_logs([{**base, "linkedid": "rec.1", "queue": "qt-rec"}])
			self.assertEqual(again["unchanged"], 1)

	def test_the_patch_removes_the_listening_sessions_logged_as_missed_calls(self):
		from callcenter_app.patches.v1_0.remove_spy_session_call_logs import execute

		base = {
			**recorded_call(),
			"status": "missed",
			"direction": "inbound",
			"queue": "",
			"agent_interface": "",
		}
		base.update(answered_by="", talk_s=None, answered_at=None)
		logs = {
			"1796422676.2": ("listen", "Listen ann", ""),  # a spy session: goes
			"1796422676.3": ("barge", "Barge bob", ""),  # goes
			"1796422676.4": ("listen", "Listen ann", "support"),  # in a queue: a real call, stays
			"1796422676.5": ("+37060000001", "Listen ann", ""),  # a real caller: stays
		}
		for linkedid, (caller, name, queue) in logs.items():
			upsert_call_logs(
				[{**base, "linkedid": linkedid, "caller": caller, "caller_name": name, "queue": queue}]
			)
		self.assertEqual(len([n for n in logs if frappe.db.exists("CC Call Log", n)]), 4)
		execute()
		left = sorted(n for n in logs if frappe.db.exists("CC Call Log", n))
		self.assertEqual(left, ["1796422676.4", "1796422676.5"])

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


class TestPoisonAndOutages(FrappeTestCase):
	"""The bridge's writer: a record refused for good goes aside, the others are written; an outage raises
	so the whole batch stays in the spool."""

	def tearDown(self):
		frappe.db.rollback()

	def test_a_record_the_database_refuses_is_poison_and_the_rest_is_written(self):
		from callcenter_app.telephony.call_logs.service import upsert_call_log_batch

		good = {**recorded_call(), "linkedid": "t-poison.1"}
		too_long = {**good, "linkedid": "t-poison." + "9" * 400}  # the database refuses the name
		exploded = {**good, "linkedid": "t-poison.2", "status": "exploded"}
		good2 = {**good, "linkedid": "t-poison.3"}
		counts, done, poison = upsert_call_log_batch([good, too_long, exploded, good2])
		self.assertEqual(done, ["t-poison.1", "t-poison.3"])
		self.assertEqual(set(poison), {too_long["linkedid"], "t-poison.2"})
		self.assertEqual((counts["inserted"], counts["refused"]), (2, 2))
		self.assertTrue(frappe.db.exists("CC Call Log", "t-poison.3"))

	def test_an_outage_raises_for_the_whole_batch_and_marks_nothing_poison(self):
		from unittest.mock import patch

		import pymysql

		from callcenter_app.telephony.call_logs import service

		real = service._upsert_call_log

		def flaky(record, *args):
			if record["linkedid"] == "t-outage.2":
				raise pymysql.err.OperationalError(2006, "MySQL server has gone away")
			return real(record, *args)

		batch = [{**recorded_call(), "linkedid": f"t-outage.{i}"} for i in (1, 2, 3)]
		with patch.object(service, "_upsert_call_log", flaky):
			with self.assertRaises(pymysql.err.OperationalError):
				service.write_call_logs(batch)
		self.assertTrue(service.is_transient(frappe.QueryDeadlockError("deadlock")))
		self.assertFalse(service.is_transient(ValueError("bad data")))
