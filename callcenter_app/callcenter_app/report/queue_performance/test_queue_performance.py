# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: the Queue Performance report over a small day of CC Call Logs, every column against
numbers computed by hand (staffing against the pure Erlang C, which has its own published check)."""

import datetime as dt
from zoneinfo import ZoneInfo

import frappe
from frappe.desk.query_report import run as run_report
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_system_timezone

from callcenter_app.callcenter_app.report.queue_performance.queue_performance import execute
from callcenter_app.metrics.erlang import agents_needed
from callcenter_app.test_utils import make_call_log, make_call_queue, make_team, make_user

QUEUE_A = "qt-perf-a"  # reference 20 s, limit 60 s, early factor 0.5, wrap-up 10 s
QUEUE_B = "qt-perf-b"  # wait times from CC Settings (10 s, 30 s), early factor 0, team qt-perf-team
TEAM = "qt-perf-team"
CAMPAIGN = "qt-perf-campaign"
DAY1, DAY2 = "2025-03-03", "2025-03-04"
COLUMNS = [
	"period",
	"queue",
	"offered",
	"answered",
	"abandoned",
	"unanswered",
	"asa",
	"longest_wait",
	"service_level",
	"qos",
	"aht",
	"peak_interval",
	"agents_needed",
	"expected_service_level",
	"expected_asa",
	"occupancy",
]


def set_queue(queue: str, **values) -> None:
	doc = frappe.get_doc("CC Call Queue", queue)
	doc.update(values)
	doc.save(ignore_permissions=True)


def set_settings(**values) -> None:
	for field, value in values.items():
		frappe.db.set_single_value("CC Settings", field, value)
	frappe.clear_document_cache("CC Settings", "CC Settings")


def call(n: int, start: str, queue: str = QUEUE_A, **values) -> str:
	return make_call_log(f"qt-perf-{n}", start, queue=queue, **values)


def answered(wait: int, talk: int) -> dict:
	return {"status": "answered", "queue_result": "connected", "wait_s": wait, "talk_s": talk}


def staffing(calls: int, aht: float):
	return agents_needed(calls, aht, 1800, 0.8, 20)


class TestQueuePerformance(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		set_settings(qos_reference_wait=10, qos_limit_wait=30, qos_early_factor=0.25, site_timezone="")
		make_team(TEAM)
		make_call_queue(QUEUE_A, [])
		set_queue(QUEUE_A, qos_reference_wait=20, qos_limit_wait=60, qos_early_factor=0.5, wrapup_time=10)
		make_call_queue(QUEUE_B, [])
		set_queue(QUEUE_B, qos_reference_wait=0, qos_limit_wait=0, qos_early_factor=0, hd_team=TEAM)
		# queue A, day 1 (scores: reference 20, limit 60, factor 0.5)
		call(1, f"{DAY1} 09:00:00", status="abandoned", queue_result="abandoned", wait_s=35)  # 0
		call(2, f"{DAY1} 09:10:00", **answered(10, 60))  # 0.75, within
		call(3, f"{DAY1} 09:20:00", **answered(20, 120))  # 1, within
		call(4, f"{DAY1} 10:05:00", **answered(40, 180))  # 0.5
		call(5, f"{DAY1} 11:00:00", **answered(90, 240))  # 0
		call(6, f"{DAY1} 12:00:00", status="missed", queue_result="timeout", wait_s=300)  # 0
		call(7, f"{DAY1} 13:00:00", status="answered", queue_result="timeout", wait_s=0, talk_s=50)  # 0
		# queue A, day 2, campaign calls
		call(8, f"{DAY2} 09:00:00", campaign=CAMPAIGN, **answered(30, 100))  # 0.75
		call(9, f"{DAY2} 09:30:00", campaign=CAMPAIGN, status="voicemail", queue_result="timeout")  # 0
		# queue B, day 1 (CC Settings: reference 10 s, limit 30 s; early factor 0)
		call(10, f"{DAY1} 09:00:00", QUEUE_B, **answered(0, 30))  # 1, within
		call(11, f"{DAY1} 09:05:00", QUEUE_B, **answered(20, 90))  # 0.5
		# not counted: outbound, no queue, outside the range
		call(12, f"{DAY1} 09:00:00", direction="outbound", **answered(0, 10))
		call(13, f"{DAY1} 09:00:00", queue="", status="missed")
		call(14, "2025-03-02 23:59:59", status="missed")
		call(15, "2025-03-06 00:00:00", status="missed")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		frappe.clear_document_cache("CC Settings", "CC Settings")

	def report(self, **filters):
		values = {"from_date": DAY1, "to_date": "2025-03-05", "group_by": "Day", **filters}
		columns, data, message, chart, summary = execute(frappe._dict(values))
		mine = [r for r in data if r.get("is_total") or r["queue"].startswith("qt-perf-")]
		return columns, mine, message, chart, summary

	def test_every_column_matches_the_numbers_computed_by_hand(self):
		columns, data, message, chart, summary = self.report(queue=QUEUE_A)
		self.assertEqual([c["fieldname"] for c in columns], COLUMNS)
		day1, day2, total = data
		# day 1: intervals 09:00 (3 calls; AHT (60 + 120) / 2 + 10), 10:00 (1; 190), 11:00 (1; 250),
		# 12:00 and 13:00 (1 each, none answered by the queue: the row's AHT 160)
		candidates = [
			("2025-03-03 09:00", 3, 100),
			("2025-03-03 10:00", 1, 190),
			("2025-03-03 11:00", 1, 250),
			("2025-03-03 12:00", 1, 160),
			("2025-03-03 13:00", 1, 160),
		]
		peak = max(candidates, key=lambda c: (staffing(c[1], c[2]).agents, -candidates.index(c)))
		advice = staffing(peak[1], peak[2])
		self.assertEqual(
			day1,
			{
				"period": DAY1,
				"queue": QUEUE_A,
				"offered": 7,
				"answered": 4,
				"abandoned": 1,
				"unanswered": 3,
				"asa": 40.0,  # (10 + 20 + 40 + 90) / 4
				"longest_wait": 300,
				"service_level": round(100 * 2 / 7, 2),  # 28.57
				"qos": round(100 * 2.25 / 7, 2),  # 32.14
				"aht": 160.0,  # (60 + 120 + 180 + 240) / 4 + 10
				"peak_interval": peak[0],
				"agents_needed": advice.agents,
				"expected_service_level": round(advice.service_level * 100, 2),
				"expected_asa": round(advice.asa_s, 1),
				"occupancy": round(advice.occupancy * 100, 1),
			},
		)
		# day 2: one answered after 30 s (0.75), one to voicemail; the busier interval is the first one
		advice2 = staffing(1, 110)
		self.assertEqual(
			[day2[k] for k in COLUMNS],
			[
				DAY2,
				QUEUE_A,
				2,
				1,
				0,
				1,
				30.0,
				30,
				0.0,
				37.5,
				110.0,
				f"{DAY2} 09:00",
				advice2.agents,
				round(advice2.service_level * 100, 2),
				round(advice2.asa_s, 1),
				round(advice2.occupancy * 100, 1),
			],
		)
		self.assertEqual(
			[total[k] for k in COLUMNS[:10]],
			["Total", "", 9, 5, 1, 4, 38.0, 300, round(100 * 2 / 9, 2), round(100 * 3 / 9, 2)],
		)
		self.assertEqual(total["is_total"], 1)
		self.assertIsNone(total["agents_needed"])
		self.assertEqual(chart["type"], "axis-mixed")
		self.assertEqual(chart["data"]["labels"], [DAY1, DAY2])
		self.assertEqual(
			[d["values"] for d in chart["data"]["datasets"]],
			[[7, 2], [4, 1], [1, 0], [advice.agents, advice2.agents]],
		)
		self.assertEqual([s["value"] for s in summary], [9, 5, 1, 38.0, 22.22, 33.33])
		self.assertIn(f"{QUEUE_A}: {advice.agents} agents at {peak[0]}", message)

	def test_team_campaign_and_hour_filters(self):
		_c, data, _m, _chart, _s = self.report(team=TEAM)
		self.assertEqual(
			[(r["queue"], r["offered"], r["qos"]) for r in data], [(QUEUE_B, 2, 75.0), ("", 2, 75.0)]
		)
		_c, data, _m, _chart, _s = self.report(campaign=CAMPAIGN, group_by="Hour")
		self.assertEqual([(r["period"], r["offered"]) for r in data], [(f"{DAY2} 09:00", 2), ("Total", 2)])
		_c, data, _m, _chart, _s = self.report(team=TEAM, queue=QUEUE_A)  # queue A is in no team
		self.assertEqual(data, [])

	def test_staffing_inputs_are_filters(self):
		_c, data, message, _chart, _s = self.report(
			queue=QUEUE_B, target_sl=95, target_seconds=5, staffing_interval="60"
		)
		row = data[0]
		advice = agents_needed(2, 60, 3600, 0.95, 5)  # 2 calls in 09:00–10:00, AHT (30 + 90) / 2
		self.assertEqual((row["peak_interval"], row["agents_needed"]), (f"{DAY1} 09:00", advice.agents))
		self.assertEqual(row["expected_asa"], round(advice.asa_s, 1))
		self.assertIn("60-minute intervals, target 95% in 5 s", message)

	def test_periods_are_in_the_call_center_time_zone(self):
		system = ZoneInfo(get_system_timezone())
		local = "Asia/Kolkata" if get_system_timezone() != "Asia/Kolkata" else "America/New_York"

		def stored(local_text: str) -> str:
			moment = dt.datetime.fromisoformat(local_text).replace(tzinfo=ZoneInfo(local))
			return moment.astimezone(system).replace(tzinfo=None).isoformat(sep=" ")

		make_call_queue("qt-perf-tz", [])
		make_call_log("qt-perf-tz-1", stored("2025-03-03 23:50:00"), queue="qt-perf-tz", status="missed")
		make_call_log("qt-perf-tz-2", stored("2025-03-04 00:10:00"), queue="qt-perf-tz", status="missed")
		set_settings(site_timezone=local)  # Kolkata is UTC+5:30: the slots must still fall in whole hours
		_c, data, _m, _chart, _s = self.report(queue="qt-perf-tz", group_by="Hour")
		self.assertEqual(
			[(r["period"], r["offered"]) for r in data],
			[("2025-03-03 23:00", 1), ("2025-03-04 00:00", 1), ("Total", 2)],
		)

	def test_bad_filters_are_refused_by_label(self):
		for filters, text in [
			({"target_sl": 100}, "Target Service Level %: must be more than 0 and less than 100"),
			({"staffing_interval": "45"}, "Staffing Interval (min): must be one of 15, 30, 60"),
			({"to_date": "2025-03-01"}, "To Date: must not be before the from date"),
		]:
			with self.subTest(filters=filters), self.assertRaises(frappe.ValidationError) as ctx:
				self.report(**filters)
			self.assertIn(text, str(ctx.exception))

	def test_report_runs_through_the_desk_and_needs_a_role(self):
		out = run_report("Queue Performance", {"from_date": DAY1, "to_date": DAY2, "queue": QUEUE_B})
		self.assertEqual(out["result"][-1]["offered"], 2)
		make_user("qt-perf-manager@example.com", ("System Manager",))
		make_user("qt-perf-agent@example.com", ("Agent",))
		frappe.set_user("qt-perf-agent@example.com")
		with self.assertRaises(frappe.PermissionError):
			run_report("Queue Performance", {"from_date": DAY1, "to_date": DAY2})
