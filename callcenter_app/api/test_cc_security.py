"""Bench tests of the CC Security page's endpoints and the password rule on User."""

from __future__ import annotations

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api import security as api
from callcenter_app.common import roles
from callcenter_app.test_utils import delete_campaign, make_campaign, make_operator, make_user

DOMAIN = "sec.cc-test.invalid"
STRONG = "Correct-Horse-Battery-Staple-91"


class TestCCSecurity(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		# the System Manager first: Frappe makes the first desk user of a set-up site a System Manager
		self.sm = make_user(f"sm@{DOMAIN}", (roles.SYSTEM_MANAGER,))
		self.ccm = make_user(f"ccm@{DOMAIN}", (roles.CALL_CENTER_MANAGER,))
		self.sup = make_user(f"sup@{DOMAIN}", (roles.AGENT_SUPERVISOR,))
		self.agent = make_user(f"agent@{DOMAIN}", (roles.AGENT,))
		for user in (self.ccm, self.sup, self.agent):
			self.assertNotIn(roles.SYSTEM_MANAGER, frappe.get_roles(user), user)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_a_call_center_manager_sets_an_agents_password(self):
		frappe.set_user(self.ccm)
		api.set_password(self.agent, STRONG)
		frappe.set_user("Administrator")
		from frappe.utils.password import check_password

		self.assertEqual(check_password(self.agent, STRONG), self.agent)

	def test_a_supervisor_may_not_set_another_users_password_through_any_door(self):
		frappe.set_user(self.sup)
		with self.assertRaises(frappe.PermissionError):
			api.set_password(self.agent, STRONG)
		user = frappe.get_doc("User", self.agent)
		user.new_password = STRONG
		with self.assertRaises(frappe.PermissionError) as refused:
			user.save(ignore_permissions=True)  # the User validate hook, whatever permission the save had
		self.assertIn("set another user's password", str(refused.exception))

	def test_a_call_center_manager_may_not_take_over_a_system_manager(self):
		frappe.set_user(self.ccm)
		with self.assertRaises(frappe.PermissionError) as refused:
			api.set_password(self.sm, STRONG)
		self.assertIn("only a System Manager", str(refused.exception))
		user = frappe.get_doc("User", self.sm)
		user.new_password = STRONG
		with self.assertRaises(frappe.PermissionError):
			user.save(ignore_permissions=True)

	def test_a_project_manager_sets_the_passwords_of_their_campaigns_operators_only(self):
		pm = make_user(f"pm@{DOMAIN}", (roles.PROJECT_MANAGER,))
		mine, theirs = make_operator(f"op1@{DOMAIN}"), make_operator(f"op2@{DOMAIN}")
		ours = make_campaign("CC Sec PM Campaign", operators=(mine,))
		other = make_campaign("CC Sec Other Campaign", operators=(theirs,))
		frappe.db.set_value("CC Campaign", ours, "owner", pm)
		frappe.db.set_value("CC Campaign", other, "owner", self.ccm)
		try:
			frappe.set_user(pm)
			api.set_password(mine, STRONG)
			for user in (theirs, self.agent, self.sup):
				with self.assertRaises(frappe.PermissionError, msg=user):
					api.set_password(user, STRONG)
			# an operator of the Project Manager's own campaign who also supervises: no stepping up
			frappe.set_user("Administrator")
			lead = make_user(f"lead@{DOMAIN}", (roles.OPERATOR, roles.AGENT_SUPERVISOR))
			campaign = frappe.get_doc("CC Campaign", ours)
			campaign.append("operators", {"user": lead, "active": 1})
			campaign.save(ignore_permissions=True)
			frappe.set_user(pm)
			with self.assertRaises(frappe.PermissionError) as refused:
				api.set_password(lead, STRONG)
			self.assertIn("only a Call Center Manager", str(refused.exception))
			frappe.set_user("Administrator")
			from frappe.utils.password import check_password

			self.assertEqual(check_password(mine, STRONG), mine)
		finally:
			frappe.set_user("Administrator")
			delete_campaign(ours)
			delete_campaign(other)

	def test_everyone_changes_their_own_password(self):
		frappe.set_user(self.sup)
		user = frappe.get_doc("User", self.sup)
		user.new_password = STRONG
		user.save(ignore_permissions=True)

	def test_a_weak_password_is_refused_naming_the_field(self):
		frappe.db.set_single_value("System Settings", "enable_password_policy", 1)
		frappe.db.set_single_value("System Settings", "minimum_password_score", "2")
		frappe.set_user(self.ccm)
		with self.assertRaises(frappe.ValidationError) as refused:
			api.set_password(self.agent, "abc")
		self.assertIn("New Password", str(refused.exception))

	def test_switching_on_writes_system_settings(self):
		# a site past its setup wizard has these; System Settings refuses to save without them
		for field, value in (("language", "en"), ("time_zone", "Europe/Vilnius")):
			if not frappe.db.get_single_value("System Settings", field):
				frappe.db.set_single_value("System Settings", field, value)
		frappe.db.set_single_value("System Settings", "allow_consecutive_login_attempts", 0)
		frappe.set_user(self.ccm)
		before = {c["key"]: c["on"] for c in api.summary()["checks"]}
		self.assertFalse(before["lockout"])
		after = {c["key"]: c["on"] for c in api.enable("lockout")["checks"]}
		self.assertTrue(after["lockout"])
		self.assertEqual(frappe.db.get_single_value("System Settings", "allow_consecutive_login_attempts"), 5)

	def test_restrict_ip_is_checked_and_stored_as_frappe_reads_it(self):
		frappe.set_user(self.ccm)
		api.set_restrict_ip(self.agent, "10.1.\n192.168.4.2")
		self.assertEqual(frappe.db.get_value("User", self.agent, "restrict_ip"), "10.1., 192.168.4.2")
		with self.assertRaises(frappe.ValidationError):
			api.set_restrict_ip(self.agent, "10.0.0.0/8")
		with self.assertRaises(frappe.PermissionError):
			api.set_restrict_ip(self.sm, "10.1.")

	def test_summary_lists_desk_users_with_their_roles(self):
		frappe.set_user(self.ccm)
		users = {u["name"]: u for u in api.summary()["users"]}
		self.assertEqual(users[self.sup]["roles"], [roles.AGENT_SUPERVISOR])
