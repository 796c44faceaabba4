import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.install import ROLES, after_migrate


class TestInstall(FrappeTestCase):
	def test_roles_exist_after_install(self):
		for role in ROLES:
			self.assertTrue(frappe.db.exists("Role", role), f"role {role} is missing")
			self.assertEqual(frappe.db.get_value("Role", role, "desk_access"), 1)

	def test_helpdesk_agent_role_is_untouched(self):
		self.assertTrue(frappe.db.exists("Role", "Agent"))

	def test_after_migrate_is_idempotent(self):
		before = frappe.db.count("Role")
		after_migrate()
		after_migrate()
		self.assertEqual(frappe.db.count("Role"), before)
