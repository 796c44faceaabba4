# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: the Queue QoS report over CC Call Logs with known waits, against QoS % computed by hand."""

import datetime as dt
from zoneinfo import ZoneInfo

import frappe
from frappe.desk.query_report import run as run_report
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_system_timezone

from callcenter_app.callcenter_app.report.queue_qos.queue_qos import execute
from callcenter_app.test_utils import make_call_log, make_call_queue, make_user

QUEUE_A = "qt-qos-a"  # reference 20 s, limit 60 s, early factor 0.5
QUEUE_B = "qt-qos-b"  # wait times from CC Settings (10 s, 30 s), early factor 0
CAMPAIGN = "qt-qos-campaign"
DAY1, DAY2 = "2025-03-03", "2025-03-04"  # a Monday and a Tuesday


def set_qos(queue: str, reference: int, limit: int, early_factor: float) -> None:
	doc = frappe.get_doc("CC Call Queue", queue)
	doc.update({"qos_reference_wait": reference, "qos_limit_wait": limit, "qos_early_factor": early_factor})
	doc.save(ignore_permissions=True)


def set_settings(**values) -> None:
	for field, value in values.items():
		frappe.db.set_single_value("CC Settings", field, value)
	frappe.clear_document_cache("CC Settings", "CC Settings")


def call(n: int, start: str, queue: str = QUEUE_A, **values) -> str:
	return make_call_log(f"qt-qos-{n}", start, queue=queue, **values)


def answered(wait: int, talk: int) -> dict:
	return {"status": "answered", "queue_result": "connected", "wait_s": wait, "talk_s": talk}


class TestQueueQos(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		set_settings(qos_reference_wait=10, qos_limit_wait=30, qos_early_factor=0.25, site_timezone="")
		make_call_queue(QUEUE_A, [])
		set_qos(QUEUE_A, 20, 60, 0.5)
		make_call_queue(QUEUE_B, [])
		set_qos(QUEUE_B, 0, 0, 0)
		# queue A, day 1: one call of each kind (scores by hand with reference 20, limit 60, factor 0.5)
		call(1, f"{DAY1} 09:00:00", status="abandoned", queue_result="abandoned", wait_s=35)  # 0
		call(2, f"{DAY1} 09:10:00", **answered(10, 60))  # early: 1 - 0.5 * 10 / 20 = 0.75
		call(3, f"{DAY1} 09:20:00", **answered(20, 120))  # exactly at the reference: 1
		call(4, f"{DAY1} 10:05:00", **answered(40, 180))  # late: 1 - 20 / 40 = 0.5
		call(5, f"{DAY1} 11:00:00", **answered(90, 240))  # beyond the limit: 0
		call(6, f"{DAY1} 12:00:00", status="missed", queue_result="timeout", wait_s=300)  # 0
		# the queue timed out and a forward answered: not answered by the queue, 0
		call(7, f"{DAY1} 13:00:00", status="answered", queue_result="timeout", wait_s=0, talk_s=50)
		# queue A, day 2, campaign calls
		call(8, f"{DAY2} 09:00:00", campaign=CAMPAIGN, **answered(30, 100))  # 1 - 10 / 40 = 0.75
		call(9, f"{DAY2} 09:30:00", campaign=CAMPAIGN, status="voicemail", queue_result="timeout")  # 0
		# queue B, day 1 (CC Settings: reference 10 s, limit 30 s; the queue's early factor 0)
		call(10, f"{DAY1} 09:00:00", QUEUE_B, **answered(0, 30))  # early, factor 0: 1
		call(11, f"{DAY1} 09:05:00", QUEUE_B, **answered(20, 90))  # 1 - 10 / 20 = 0.5
		# not counted: outbound, no queue, before and after the range
		call(12, f"{DAY1} 09:00:00", direction="outbound", **answered(0, 10))
		call(13, f"{DAY1} 09:00:00", queue="", status="missed")
		call(14, "2025-03-02 23:59:59", status="missed")
		call(15, "2025-03-06 00:00:00", status="missed")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		frappe.clear_document_cache("CC Settings", "CC Settings")

	def run_report(self, **filters):
		values = {"from_date": DAY1, "to_date": "2025-03-05", "group_by": "Day", **filters}
		columns, data, _message, chart, summary = execute(frappe._dict(values))
		mine = [r for r in data if r.get("is_total") or r["queue"].startswith("qt-qos-")]
		return columns, mine, chart, summary

	def test_rows_match_the_scores_computed_by_hand(self):
		columns, data, chart, summary = self.run_report(queue=QUEUE_A)
		self.assertEqual(
			[c["fieldname"] for c in columns],
			[
				"period",
				"queue",
				"campaign",
				"offered",
				"answered",
				"unanswered",
				"within_reference",
				"average_wait",
				"average_talk",
				"qos",
			],
		)
		day1, day2, total = data
		self.assertEqual((day1["period"], day1["queue"], day1["campaign"]), (DAY1, QUEUE_A, ""))
		self.assertEqual(
			[day1[k] for k in ("offered", "answered", "unanswered", "within_reference")], [7, 4, 3, 2]
		)
		self.assertEqual(day1["average_wait"], 40.0)  # (10 + 20 + 40 + 90) / 4
		self.assertEqual(day1["average_talk"], 150.0)  # (60 + 120 + 180 + 240) / 4
		self.assertEqual(day1["qos"], round(100 * 2.25 / 7, 2))  # (0.75 + 1 + 0.5) / 7 = 32.14 %
		self.assertEqual(
			(day2["period"], day2["campaign"], day2["offered"], day2["qos"]), (DAY2, CAMPAIGN, 2, 37.5)
		)
		self.assertEqual(total["is_total"], 1)
		self.assertEqual((total["offered"], total["answered"]), (9, 5))
		self.assertEqual(total["qos"], round(100 * 3.0 / 9, 2))
		self.assertEqual(chart["data"]["labels"], [DAY1, DAY2])
		self.assertEqual(chart["data"]["datasets"][0]["values"], [32.14, 37.5])
		self.assertEqual([s["value"] for s in summary], [9, 5, 4, 33.33])

	def test_each_queue_has_its_own_parameters_and_the_total_mixes_them(self):
		_columns, data, _chart, _summary = self.run_report(group_by="Week")
		rows = {(r["queue"], r["campaign"]): r for r in data if not r.get("is_total")}
		self.assertEqual(rows[QUEUE_B, ""]["qos"], 75.0)  # (1 + 0.5) / 2
		self.assertEqual(rows[QUEUE_B, ""]["within_reference"], 1)
		self.assertEqual(rows[QUEUE_A, ""]["period"], DAY1)  # the week from Monday 3 March
		self.assertEqual(rows[QUEUE_A, CAMPAIGN]["qos"], 37.5)
		total = data[-1]  # nothing else on the site calls in March 2025
		self.assertEqual((total["offered"], total["answered"], total["within_reference"]), (11, 7, 3))
		self.assertEqual(total["qos"], round(100 * (3.0 + 1.5) / 11, 2))  # 40.91: each call its queue's score

	def test_campaign_and_hour_filters(self):
		_columns, data, _chart, _summary = self.run_report(campaign=CAMPAIGN, group_by="Hour")
		self.assertEqual([(r["period"], r["offered"]) for r in data], [(f"{DAY2} 09:00", 2), ("Total", 2)])

	def test_periods_are_in_the_call_center_time_zone(self):
		system = ZoneInfo(get_system_timezone())
		local = "America/New_York" if get_system_timezone() != "America/New_York" else "Asia/Tokyo"

		def stored(local_text: str) -> str:
			moment = dt.datetime.fromisoformat(local_text).replace(tzinfo=ZoneInfo(local))
			return moment.astimezone(system).replace(tzinfo=None).isoformat(sep=" ")

		make_call_queue("qt-qos-tz", [])
		make_call_log("qt-qos-tz-1", stored("2025-03-03 23:30:00"), queue="qt-qos-tz", status="missed")
		make_call_log("qt-qos-tz-2", stored("2025-03-05 22:00:00"), queue="qt-qos-tz", status="missed")
		make_call_log("qt-qos-tz-3", stored("2025-03-06 00:30:00"), queue="qt-qos-tz", status="missed")
		set_settings(site_timezone=local)
		_columns, data, _chart, _summary = self.run_report(queue="qt-qos-tz")
		self.assertEqual(
			[(r["period"], r["offered"]) for r in data], [(DAY1, 1), ("2025-03-05", 1), ("Total", 2)]
		)

	def test_a_range_with_no_calls_is_empty(self):
		columns, data, _message, chart, summary = execute(
			{"from_date": "2001-01-01", "to_date": "2001-01-31", "group_by": "Month"}
		)
		self.assertEqual((data, chart, summary), ([], None, []))
		self.assertEqual(columns[0]["label"], "Month")

	def test_bad_filters_are_refused_by_name(self):
		cases = [
			({"from_date": "2025-03-05", "to_date": DAY1}, "To Date: must not be before the from date"),
			({"from_date": DAY1, "to_date": DAY2, "group_by": "Year"}, "Group By: must be one of Hour, Day"),
			({"to_date": DAY2}, "From Date: is required"),
			({"from_date": "3 March", "to_date": DAY2}, "From Date: must be a date like"),
			(
				{"from_date": "2024-01-01", "to_date": "2025-03-01"},
				"To Date: the range may cover at most 366",
			),
			(
				{"from_date": DAY1, "to_date": "2025-05-01", "group_by": "Hour"},
				"Group By: Hour covers at most 31",
			),
		]
		for filters, message in cases:
			with self.subTest(filters=filters), self.assertRaises(frappe.ValidationError) as ctx:
				execute(frappe._dict(filters))
			self.assertIn(message, str(ctx.exception))

	def test_queue_parameters_broken_by_new_defaults_name_the_queue(self):
		set_qos(QUEUE_A, 25, 0, 0.5)  # the limit from CC Settings: 30 s
		set_settings(qos_limit_wait=20)  # valid for CC Settings (reference 10 s), not for queue A
		with self.assertRaises(frappe.ValidationError) as ctx:
			self.run_report()
		self.assertIn(
			f"CC Call Queue {QUEUE_A}: QoS Limit Wait Time (s): must be greater than", str(ctx.exception)
		)
		self.assertIn("not 20 s, the default from CC Settings", str(ctx.exception))

	def test_report_runs_through_the_desk_and_needs_a_role(self):
		out = run_report("Queue QoS", {"from_date": DAY1, "to_date": DAY2, "queue": QUEUE_B})
		self.assertEqual(out["result"][-1]["qos"], 75.0)
		self.assertEqual(out["chart"]["type"], "line")
		# another System Manager first: on a site whose setup is complete, Frappe makes the first new user
		# one if there is none besides Administrator
		make_user("qt-qos-manager@example.com", ("System Manager",))
		make_user("qt-qos-nobody@example.com")
		self.assertNotIn("System Manager", frappe.get_roles("qt-qos-nobody@example.com"))
		frappe.set_user("qt-qos-nobody@example.com")
		with self.assertRaises(frappe.PermissionError):
			execute({"from_date": DAY1, "to_date": DAY2})
		with self.assertRaises(frappe.PermissionError):
			run_report("Queue QoS", {"from_date": DAY1, "to_date": DAY2})
		make_user("qt-qos-supervisor@example.com", ("Agent Supervisor",))
		frappe.set_user("qt-qos-supervisor@example.com")
		out = run_report("Queue QoS", {"from_date": DAY1, "to_date": DAY2, "queue": QUEUE_B})
		self.assertEqual(out["result"][-1]["offered"], 2)
