import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.install import NAMING_SERIES, ROLES, after_migrate, before_install


class TestInstall(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")  # as install and migrate run, whoever an earlier test left logged in

	def test_roles_exist_after_install(self):
		for role in ROLES:
			self.assertTrue(frappe.db.exists("Role", role), f"role {role} is missing")
			self.assertEqual(frappe.db.get_value("Role", role, "desk_access"), 1)

	def test_helpdesk_agent_role_is_untouched(self):
		self.assertTrue(frappe.db.exists("Role", "Agent"))

	def test_after_migrate_is_idempotent(self):
		counts = lambda: (  # noqa: E731
			frappe.db.count("Role"),
			frappe.db.count("Custom Field", {"dt": ["in", ["HD Agent", "HD Ticket"]]}),
			frappe.db.count("CC Work Mode"),
			len(frappe.get_single("Navbar Settings").settings_dropdown),
		)
		after_migrate()
		before = counts()
		after_migrate()
		self.assertEqual(counts(), before)

	def test_phone_pieces_are_installed(self):
		self.assertEqual(
			frappe.get_all("CC Work Mode", filters={"is_default": 1}, pluck="name"), ["Available"]
		)
		for doctype, field in (("HD Agent", "cc_work_mode"), ("HD Ticket", "cc_callback")):
			self.assertTrue(frappe.get_meta(doctype).get_field(field), f"{doctype}.{field} is missing")
		labels = {row.item_label for row in frappe.get_single("Navbar Settings").settings_dropdown}
		self.assertIn("Phone: log in / work mode", labels)

	def test_before_install_sees_the_app_a_stale_module_map_left_out(self):
		"""install-app on a site whose cached module map predates the app (bench get-app after the site was in
		use) synced none of the app's doctypes; before_install rebuilds the map from apps.txt."""
		saved = frappe.local.app_modules
		try:
			frappe.cache.delete_value("app_modules")  # install_app has cleared the cache at this point
			frappe.local.app_modules = {app: mods for app, mods in saved.items() if app != "callcenter_app"}
			before_install()
			self.assertIn("callcenter_app", frappe.local.app_modules["callcenter_app"])
		finally:
			frappe.local.app_modules = saved
			frappe.setup_module_map()

	def test_every_numbered_name_has_its_series_row(self):
		"""Two first inserts at once must not race to create the series row (a deadlock, not a message)."""
		autonames = {
			frappe.db.get_value("DocType", d, "autoname")
			for d in frappe.get_all("DocType", {"module": "Callcenter App"}, pluck="name")
		}
		prefixes = {
			a.split(".")[0] for a in autonames if a and "." in a and not a.startswith(("field:", "hash"))
		}
		self.assertEqual(prefixes, set(NAMING_SERIES))
		for prefix in NAMING_SERIES:
			self.assertTrue(frappe.db.sql("select 1 from `tabSeries` where name = %s", prefix), prefix)
