# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: CC Call Queue's QoS fields make valid QoS parameters, wait times left at 0 taking the
CC Settings defaults (members and names are tested in cc_route/test_cc_route.py)."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.metrics.qos import QosParams
from callcenter_app.metrics.service import params_for_queues
from callcenter_app.test_utils import make_call_queue

QUEUE = "qt-qos-queue"


class TestCallQueueQos(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		for field, value in {
			"qos_reference_wait": 20,
			"qos_limit_wait": 60,
			"qos_early_factor": 0.25,
		}.items():
			frappe.db.set_single_value("CC Settings", field, value)
		frappe.clear_document_cache("CC Settings", "CC Settings")
		make_call_queue(QUEUE, [])

	def tearDown(self):
		frappe.db.rollback()
		frappe.clear_document_cache("CC Settings", "CC Settings")

	def save_with(self, **values):
		doc = frappe.get_doc("CC Call Queue", QUEUE)
		doc.update(values)
		doc.save(ignore_permissions=True)
		return doc

	def assertRefused(self, message: str, **values):
		with self.assertRaises(frappe.ValidationError) as ctx:
			self.save_with(**values)
		self.assertIn(message, str(ctx.exception))

	def test_a_new_queue_takes_the_defaults_and_factor_one_half(self):
		self.assertEqual(frappe.db.get_value("CC Call Queue", QUEUE, "qos_early_factor"), 0.5)
		self.assertEqual(
			params_for_queues([QUEUE, "not-a-cc-queue"]),
			{
				QUEUE: QosParams(20, 60, 0.5),
				"not-a-cc-queue": QosParams(20, 60, 0.25),  # a queue known only to Asterisk: CC Settings
			},
		)

	def test_own_values_are_kept(self):
		self.save_with(qos_reference_wait=15, qos_limit_wait=45, qos_early_factor=0)
		self.assertEqual(params_for_queues([QUEUE])[QUEUE], QosParams(15, 45, 0.0))
		self.save_with(qos_reference_wait=0, qos_limit_wait=90, qos_early_factor=1)
		self.assertEqual(params_for_queues([QUEUE])[QUEUE], QosParams(20, 90, 1.0))

	def test_bad_values_are_refused_naming_the_field(self):
		self.assertRefused(
			"QoS Limit Wait Time (s): must be greater than the reference wait time (30 s), not 20 s",
			qos_reference_wait=30,
			qos_limit_wait=20,
		)
		self.assertRefused(
			"QoS Limit Wait Time (s): must be greater than the reference wait time (90 s), "
			"not 60 s, the default from CC Settings",
			qos_reference_wait=90,
			qos_limit_wait=0,
		)
		self.assertRefused(
			"QoS Limit Wait Time (s): must be greater than the reference wait time (20 s, the default from "
			"CC Settings), not 15 s",
			qos_limit_wait=15,
		)
		self.assertRefused("QoS Early Answer Factor: must be from 0 to 1, not 1.5", qos_early_factor=1.5)
		self.assertEqual(frappe.db.get_value("CC Call Queue", QUEUE, "qos_early_factor"), 0.5)
