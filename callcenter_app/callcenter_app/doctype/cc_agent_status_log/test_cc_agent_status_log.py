# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: log in / out and work modes write one status period each, Asterisk's queue members follow
(QueueAdd with level as penalty, QueuePause for modes without calls), and who may see or change what."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import telephony as api
from callcenter_app.telephony.presence import service as presence
from callcenter_app.test_utils import make_agent, make_call_queue, make_user, peer_thread


class TestPresence(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.ann = make_agent("cc-ann@example.com", "cc-ann")
		self.bob = make_agent("cc-bob@example.com", "cc-bob")
		make_call_queue("cc-test-support", [(self.bob, 1, 2), (self.ann, 1, 1)])

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def periods(self, user):
		return frappe.get_all(
			"CC Agent Status Log",
			filters={"agent": user},
			fields=["logged_in", "work_mode", "started", "ended", "duration_s", "source", "queues"],
			order_by="creation",
		)

	def test_login_change_mode_logout_keeps_one_open_period(self):
		presence.set_presence(self.ann, True)
		state = presence.state_dict(self.ann)
		self.assertEqual((state["logged_in"], state["work_mode"]), (True, "Available"))
		presence.set_presence(self.ann, True, "Break")
		presence.set_presence(self.ann, True, "Break")  # no change: no new period
		presence.set_presence(self.ann, False)
		periods = self.periods(self.ann)
		self.assertEqual(
			[(p.logged_in, p.work_mode) for p in periods], [(1, "Available"), (1, "Break"), (0, None)]
		)
		self.assertEqual([p.ended is None for p in periods], [False, False, True])
		self.assertTrue(all(p.duration_s >= 0 for p in periods[:2]))
		self.assertEqual(periods[0].queues, "cc-test-support")
		self.assertEqual(frappe.db.get_value("HD Agent", self.ann, "cc_logged_in"), 0)

	def test_bad_input_names_the_field_and_writes_nothing(self):
		before = frappe.db.count("CC Agent Status Log")
		frappe.set_user(self.ann)
		with self.assertRaisesRegex(frappe.ValidationError, "work_mode: Nap is not an enabled CC Work Mode"):
			api.set_presence(True, "Nap")
		frappe.set_user("Administrator")
		stranger = make_user("cc-stranger@example.com", ("Agent",))  # Agent role, but no HD Agent
		frappe.set_user(stranger)
		with self.assertRaisesRegex(frappe.ValidationError, "agent: .* is not an active helpdesk agent"):
			api.set_presence(True)
		self.assertEqual(frappe.db.count("CC Agent Status Log"), before)

	def test_only_supervisors_change_someone_else(self):
		frappe.set_user(self.bob)
		with self.assertRaises(frappe.PermissionError):
			api.set_presence(True, "Available", agent=self.ann)
		frappe.set_user("Administrator")
		sue = make_user("cc-sue@example.com", ("Agent Supervisor",))
		frappe.set_user(sue)
		api.set_presence(True, "Available", agent=self.ann)
		self.assertEqual(self.periods(self.ann)[-1].source, "Supervisor")
		nobody = make_user("cc-nobody@example.com")
		frappe.set_user(nobody)
		with self.assertRaises(frappe.PermissionError):
			api.my_presence()

	def test_agents_see_their_own_periods_only(self):
		presence.set_presence(self.ann, True)
		presence.set_presence(self.bob, True)
		frappe.set_user(self.bob)
		agents = set(frappe.get_list("CC Agent Status Log", pluck="agent"))
		self.assertEqual(agents, {self.bob})
		ann_period = frappe.get_all("CC Agent Status Log", filters={"agent": self.ann}, pluck="name")[0]
		self.assertFalse(frappe.has_permission("CC Agent Status Log", "read", doc=ann_period, user=self.bob))

	def test_a_mode_in_use_cannot_be_disabled_or_deleted(self):
		presence.set_presence(self.ann, True, "Break")
		mode = frappe.get_doc("CC Work Mode", "Break")
		mode.enabled = 0
		with self.assertRaisesRegex(frappe.ValidationError, "move them to another mode first"):
			mode.save()
		with self.assertRaises(frappe.LinkExistsError):
			frappe.delete_doc("CC Work Mode", "Break")

	def test_one_mode_on_login(self):
		frappe.get_doc(
			{"doctype": "CC Work Mode", "mode_name": "CC Test Mode", "enabled": 1, "is_default": 1}
		).insert()
		self.assertEqual(
			frappe.get_all("CC Work Mode", filters={"is_default": 1}, pluck="name"), ["CC Test Mode"]
		)

	def test_asterisk_members_follow_the_logged_in_agents(self):
		presence.set_presence(self.bob, True, "Available")
		presence.set_presence(self.ann, True, "Break")
		with peer_thread() as peer:
			peer.members = [{"Queue": "cc-test-support", "StateInterface": "PJSIP/cc-bob", "Penalty": "1"}]
			counts = presence.sync_queue_members(["cc-test-support"])
			sent = [
				(a["Action"], a.get("Interface"), a.get("Penalty"), a.get("Paused"))
				for a in peer.received
				if a["Action"] in ("QueueAdd", "QueueRemove", "QueuePause", "QueuePenalty")
			]
		# linear queue: ann (position 1) must ring before bob (position 2), so bob is added again after her;
		# ann is in Break, a mode without calls: a member, but paused
		self.assertEqual(
			sent,
			[
				("QueueRemove", "PJSIP/cc-bob", None, None),
				("QueueAdd", "PJSIP/cc-ann", "1", "true"),
				("QueueAdd", "PJSIP/cc-bob", "1", "false"),
			],
		)
		self.assertEqual(counts, {"actions": 3, "members": 2})
