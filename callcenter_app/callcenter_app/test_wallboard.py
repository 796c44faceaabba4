# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the wallboard's glue: who may read it, the bridge's notices and written calls reaching
the published snapshot, the number cards and the chart sources."""

from __future__ import annotations

import time

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import wallboard as api
from callcenter_app.metrics import service
from callcenter_app.test_utils import make_agent, make_user

SUPER, AGENT = "super@wallboard.test", "agent@wallboard.test"


def wait_for(predicate, timeout: float = 8.0):
	end = time.monotonic() + timeout
	while time.monotonic() < end:
		value = predicate()
		if value:
			return value
		time.sleep(0.1)
	return predicate()


class TestWallboard(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		make_user(SUPER, ("Agent Supervisor",))
		make_agent(AGENT)
		frappe.db.commit()  # nosemgrep: test fixtures shared by the tests of this module

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.cache().delete_value([service.WALLBOARD_KEY, service.WALLBOARD_ALIVE_KEY])

	def tearDown(self):
		service.stop_wallboard_pump()
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_only_who_may_read_wallboard_settings_gets_the_snapshot_and_the_live_cards(self):
		frappe.set_user(AGENT)
		for method in (api.snapshot, api.calls_waiting, api.agents_available):
			with self.assertRaises(frappe.PermissionError):
				method()
		self.assertFalse(frappe.has_permission(service.WALLBOARD, "read"))  # the realtime room's check
		frappe.set_user(SUPER)
		snap = api.snapshot()
		self.assertFalse(snap["live"])  # nothing feeds it
		self.assertEqual(snap["thresholds"]["wait_alert_s"], 60)
		self.assertEqual(api.calls_waiting(), "No live feed")
		self.assertTrue(frappe.has_permission(service.WALLBOARD, "read"))

	def test_bridge_notices_and_written_calls_reach_the_published_snapshot(self):
		from callcenter_app.telephony.call_logs.service import write_call_logs
		from callcenter_app.telephony.notices.service import publish_notices

		now = time.time()
		publish_notices(
			[
				{
					"kind": "wallboard",
					"event": {"kind": "join", "queue": "wb-q", "id": "1.1", "at": now - 30},
				},
				{"kind": "wallboard", "event": {"kind": "join", "queue": "wb-q", "id": "1.2", "at": now - 5}},
				{"kind": "wallboard", "event": {"kind": "leave", "queue": "wb-q", "id": "1.2", "at": now}},
			]
		)
		write_call_logs(
			[
				{
					"linkedid": "wb-test-call",
					"direction": "inbound",
					"status": "abandoned",
					"caller": "+37060000999",
					"queue": "wb-q",
					"queue_result": "abandon",
					"start": now - 60,
					"end": now - 50,
					"wait_s": 10,
					"legs": [],
					"complete": True,
				}
			]
		)

		def queue_published():
			s = frappe.cache().get_value(service.WALLBOARD_KEY, expires=True) or {}
			q = next((q for q in s.get("queues", []) if q["queue"] == "wb-q"), None)
			return q and q["abandoned"] and (s, q)

		published, queue = wait_for(queue_published) or (None, None)
		self.assertTrue(published, "the call was not published")
		self.assertEqual((queue["waiting"], queue["abandoned"]), (1, 1))
		self.assertGreaterEqual(queue["longest_wait_s"], 29)
		frappe.set_user(SUPER)
		snap = api.snapshot()
		self.assertTrue(snap["live"])
		self.assertEqual(api.calls_waiting()["value"], published["waiting"])
		frappe.db.delete("CC Call Log", {"name": "wb-test-call"})
		frappe.db.commit()  # nosemgrep: write_call_logs committed the call log

	def test_cards_and_charts_need_call_log_read(self):
		frappe.set_user(SUPER)
		self.assertIn(type(api.qos_today()), (str, dict))
		from callcenter_app.callcenter_app.dashboard_chart_source.cc_answered_vs_abandoned import (
			cc_answered_vs_abandoned as per_day,
		)
		from callcenter_app.callcenter_app.dashboard_chart_source.cc_calls_per_hour import (
			cc_calls_per_hour as per_hour,
		)

		self.assertEqual(len(per_hour.get()["labels"]), 24)
		self.assertEqual(len(per_day.get()["labels"]), per_day.DAYS)
		frappe.set_user("Guest")
		with self.assertRaises(frappe.PermissionError):
			per_hour.get()
		with self.assertRaises(frappe.PermissionError):
			api.qos_today()
