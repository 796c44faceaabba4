# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the app's tools in Helpdesk's agent UI (helpdesk_ui/service.py): the HD Form Script
made once and kept current without touching the admins' own scripts or its Enabled switch; the bundle added
to /helpdesk pages for agents only (not portal customers, guests, other paths or JSON); "my manual teams"
for the Pull next ticket control."""

from __future__ import annotations

import frappe
from frappe.tests.utils import FrappeTestCase
from werkzeug.wrappers import Response

from callcenter_app.api import tickets as api
from callcenter_app.helpdesk_ui import service
from callcenter_app.install import ensure_helpdesk_tools
from callcenter_app.test_utils import make_agent, make_portal_customer, make_team

AGENT = "agent@helpdesk-ui.test"
OTHER = "other@helpdesk-ui.test"
CUSTOMER = "customer@helpdesk-ui.test"
PAGE = '<!DOCTYPE html><html><head></head><body><div id="app"></div></body></html>'
BUILT = {
	"cc_helpdesk.bundle.js": "/assets/callcenter_app/dist/js/cc_helpdesk.bundle.ABC123.js",
	"phone_bar.bundle.js": "/assets/callcenter_app/dist/js/phone_bar.bundle.DEF456.js",
}


class FakeRequest:
	def __init__(self, path: str, method: str = "GET"):
		self.path = path
		self.method = method


class TestFormScript(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")  # an earlier module may leave another session user behind

	def tearDown(self):
		frappe.db.rollback()

	def test_made_once_and_updated_on_migrate(self):
		frappe.delete_doc("HD Form Script", service.FORM_SCRIPT, force=True, ignore_missing=True)
		service.ensure_form_script()
		service.ensure_form_script()
		rows = frappe.get_all("HD Form Script", filters={"name": service.FORM_SCRIPT}, fields=["*"])
		self.assertEqual(len(rows), 1)
		self.assertEqual((rows[0].dt, rows[0].apply_to, rows[0].enabled), ("HD Ticket", "Form", 1))
		self.assertFalse(rows[0].apply_to_customer_portal)
		self.assertIn("function setupForm", rows[0].script)
		# Call contact a button, the other tools in Helpdesk's grouped dropdown (docs/helpdesk-ui.md)
		self.assertIn('buttonLabel: "Call center"', rows[0].script)

		# an older text (an earlier version of the app) is replaced on migrate; the admin's switch stays off
		frappe.db.set_value("HD Form Script", service.FORM_SCRIPT, {"script": "old", "enabled": 0})
		ensure_helpdesk_tools()  # what after_migrate runs
		doc = frappe.get_doc("HD Form Script", service.FORM_SCRIPT)
		self.assertEqual(doc.script, service.form_script_text())
		self.assertEqual(doc.enabled, 0)

	def test_admins_scripts_are_left_alone(self):
		mine = frappe.get_doc(
			{
				"doctype": "HD Form Script",
				"dt": "HD Ticket",
				"apply_to": "Form",
				"enabled": 1,
				"script": "function setupForm() { return { actions: [] } }",
			}
		).insert(ignore_permissions=True)
		before = frappe.get_doc("HD Form Script", mine.name).as_dict()
		service.ensure_form_script()
		after = frappe.get_doc("HD Form Script", mine.name).as_dict()
		self.assertEqual((after.script, after.enabled, after.modified), (before.script, 1, before.modified))

	def test_helpdesk_hands_it_to_the_agent_ui(self):
		"""Helpdesk's own ticket API returns the enabled script with the ticket (its _form_script)."""
		from helpdesk.helpdesk.doctype.hd_form_script.hd_form_script import get_form_script

		service.ensure_form_script()
		scripts = get_form_script("HD Ticket")
		scripts = scripts if isinstance(scripts, list) else [scripts]
		self.assertIn(service.form_script_text(), scripts)
		self.assertNotIn(service.form_script_text(), [get_form_script("HD Ticket", is_customer_portal=True)])


class TestInjection(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		make_agent(AGENT)
		make_portal_customer(CUSTOMER, "Helpdesk UI Customer")
		frappe.db.commit()  # nosemgrep: test fixtures shared by the tests of this module

	def setUp(self):
		frappe.local.assets_json = dict(BUILT)
		self.conf = frappe.conf.get("cc_helpdesk_tools")

	def tearDown(self):
		frappe.set_user("Administrator")
		del frappe.local.assets_json
		frappe.conf.cc_helpdesk_tools = self.conf
		frappe.db.rollback()

	def page_for(self, user: str, path: str = "/helpdesk/tickets/1", body=PAGE, **kw) -> str:
		frappe.set_user(user)
		response = Response(body, status=kw.get("status", 200), mimetype=kw.get("mimetype", "text/html"))
		service.inject_assets(response=response, request=FakeRequest(path, kw.get("method", "GET")))
		return response.get_data(as_text=True)

	def test_an_agent_gets_the_bundles_and_the_boot_data(self):
		html = self.page_for(AGENT)
		self.assertIn(f'<script defer src="{BUILT["phone_bar.bundle.js"]}"></script>', html)
		self.assertIn(f'<script defer src="{BUILT["cc_helpdesk.bundle.js"]}"></script>', html)
		self.assertLess(html.index("phone_bar.bundle"), html.index("cc_helpdesk.bundle"))
		self.assertLess(html.index("cc_helpdesk.bundle"), html.index("</body>"))
		self.assertIn(f'"user": "{AGENT}"', html)
		self.assertIn(f'"site_name": "{frappe.local.site}"', html)
		self.assertEqual(html.count("callcenter_helpdesk_boot"), 1)
		self.assertIn("cc_helpdesk.bundle", self.page_for(AGENT, "/helpdesk"))

	def test_a_bundle_that_is_not_built_is_not_asked_for(self):
		del frappe.local.assets_json["phone_bar.bundle.js"]
		html = self.page_for(AGENT)
		self.assertNotIn("phone_bar", html)
		self.assertIn("cc_helpdesk.bundle", html)
		frappe.local.assets_json = {}
		self.assertEqual(self.page_for(AGENT), PAGE)

	def test_customers_guests_and_other_responses_get_nothing(self):
		self.assertEqual(self.page_for(CUSTOMER, "/helpdesk/my-tickets"), PAGE)
		self.assertEqual(self.page_for("Guest", "/helpdesk"), PAGE)
		self.assertEqual(self.page_for(AGENT, "/app/hd-ticket"), PAGE)
		self.assertEqual(self.page_for(AGENT, "/helpdesks"), PAGE)
		self.assertEqual(self.page_for(AGENT, "/helpdesk", status=404), PAGE)
		self.assertEqual(self.page_for(AGENT, "/helpdesk", method="POST"), PAGE)
		json_body = '{"message": "</body>"}'
		self.assertEqual(
			self.page_for(AGENT, "/helpdesk/tickets", body=json_body, mimetype="application/json"), json_body
		)

	def test_a_desk_user_without_the_tools_gets_nothing(self):
		from callcenter_app.test_utils import make_user

		make_user(OTHER, ("Accounts User",))
		self.assertEqual(self.page_for(OTHER), PAGE)

	def test_site_config_switches_it_off(self):
		frappe.conf.cc_helpdesk_tools = 0
		self.assertEqual(self.page_for(AGENT), PAGE)


class TestMyManualTeams(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		make_agent(AGENT)
		frappe.db.commit()  # nosemgrep: test fixtures shared by the tests of this module

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_the_manual_teams_with_what_the_agent_may_pull(self):
		make_team("HDUI Manual", cc_distribution="Manual", cc_default_buffer=1, users=[{"user": AGENT}])
		make_team("HDUI Auto", cc_distribution="Automatic", users=[{"user": AGENT}])
		frappe.db.delete("ToDo", {"reference_type": "HD Ticket", "allocated_to": AGENT})
		names = [
			frappe.get_doc(
				{
					"doctype": "HD Ticket",
					"subject": f"hdui {i}",
					"raised_by": "c@example.com",
					"agent_group": "HDUI Manual",
				}
			)
			.insert(ignore_permissions=True)
			.name
			for i in range(2)
		]
		frappe.set_user(AGENT)
		teams = {t["team"]: t for t in api.my_manual_teams()}
		self.assertNotIn("HDUI Auto", teams)
		row = teams["HDUI Manual"]
		self.assertEqual((row["waiting"], row["held"], row["buffer"], row["problem"]), (2, 0, 1, None))

		api.pull(names[0])
		row = {t["team"]: t for t in api.my_manual_teams()}["HDUI Manual"]
		self.assertEqual((row["waiting"], row["queued"], row["held"]), (0, 1, 1))
		self.assertIn("already holds 1 of the 1", row["problem"])
