# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests: the routing doctypes refuse bad input naming the field or node, and "Test this route"
(callcenter_app.api.routes.test_route) follows the saved records with reasons and checks permission."""

import html
import io
import wave

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.api.routes import export_routes, import_routes, test_route
from callcenter_app.telephony.routing import serialize

PREFIX = "_T Route "


def wav_bytes() -> bytes:
	buf = io.BytesIO()
	with wave.open(buf, "wb") as w:
		w.setnchannels(1)
		w.setsampwidth(2)
		w.setframerate(8000)
		w.writeframes(b"\0\0" * 800)
	return buf.getvalue()


def attach(name: str, content: bytes) -> str:
	file = frappe.get_doc({"doctype": "File", "file_name": name, "content": content, "is_private": 1}).insert(
		ignore_permissions=True
	)
	return file.file_url


def node(node_id, node_type, **params):
	return {"node_id": node_id, "node_type": node_type, **params}


def branch(from_node, name, to_node):
	return {"from_node": from_node, "branch": name, "to_node": to_node}


class TestRoutingDoctypes(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CC Settings", "site_timezone", "Europe/Vilnius")
		frappe.db.set_single_value("System Settings", {"country": "Lithuania", "time_zone": "Europe/Vilnius"})
		holidays = frappe.get_doc(
			{
				"doctype": "HD Service Holiday List",
				"holiday_list_name": PREFIX + "LT",
				"from_date": "2026-01-01",
				"to_date": "2026-12-31",
				"holidays": [{"holiday_date": "2026-12-24", "description": "Christmas Eve"}],
			}
		).insert()
		frappe.get_doc(
			{
				"doctype": "CC Time Condition",
				"condition_name": PREFIX + "Office",
				"timezone": "Europe/Vilnius",
				"holiday_list": holidays.name,
				"blocks": [
					{"weekday": day, "from_time": "08:00:00", "to_time": "17:00:00"}
					for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
				],
			}
		).insert()
		frappe.get_doc(
			{
				"doctype": "CC Announcement",
				"announcement_name": PREFIX + "Welcome",
				"audio": attach("cc-test-welcome.wav", wav_bytes()),
			}
		).insert()
		frappe.get_doc(
			{
				"doctype": "CC IVR Menu",
				"menu_name": PREFIX + "Menu",
				"prompt": PREFIX + "Welcome",
				"timeout": 5,
				"retries": 1,
				"max_digits": 1,
			}
		).insert()
		frappe.get_doc({"doctype": "CC Call Queue", "queue_name": "t-support", "max_wait": 300}).insert()

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		super().tearDownClass()

	def tearDown(self):
		frappe.set_user("Administrator")

	def route(self, name="Main", start="hours", nodes=None, branches=None):
		return frappe.get_doc(
			{
				"doctype": "CC Route",
				"route_name": PREFIX + name,
				"start_node": start,
				"nodes": nodes
				if nodes is not None
				else [
					node("hours", "Time Condition", time_condition=PREFIX + "Office"),
					node("menu", "IVR Menu", ivr_menu=PREFIX + "Menu"),
					node("q", "Queue", queue="t-support", timeout=60),
					node("vm", "Voicemail", mailbox="100@default"),
				],
				"branches": branches
				if branches is not None
				else [
					branch("hours", "met", "menu"),
					branch("hours", "not_met", "vm"),
					branch("menu", "1", "q"),
					branch("menu", "timeout", "q"),
					branch("menu", "invalid", "vm"),
					branch("q", "overflow", "vm"),
				],
			}
		)

	def assertRefused(self, doc, *parts):
		with self.assertRaises(frappe.ValidationError) as ctx:
			doc.insert()
		message = html.unescape(str(ctx.exception))
		for part in parts:
			self.assertIn(part, message)

	# --- validation -------------------------------------------------------------------------------
	def test_valid_route_saves(self):
		self.route().insert()
		self.assertTrue(frappe.db.exists("CC Route", PREFIX + "Main"))

	def test_missing_branch_names_the_node(self):
		doc = self.route(name="Missing", branches=[branch("hours", "met", "menu")])
		self.assertRefused(doc, "node hours", "'not_met' branch is missing")

	def test_dangling_branch_names_the_node(self):
		doc = self.route(name="Dangling")
		doc.branches[0].to_node = "nowhere"
		self.assertRefused(doc, "node hours", "'nowhere', which does not exist")

	def test_unreachable_node_is_refused(self):
		doc = self.route(name="Unreachable")
		doc.append("nodes", node("lost", "Hang Up"))
		self.assertRefused(doc, "node lost", "cannot be reached from the start node")

	def test_loop_without_waiting_is_refused(self):
		doc = self.route(
			name="Loop",
			start="a",
			nodes=[
				node("a", "Time Condition", time_condition=PREFIX + "Office"),
				node("b", "Time Condition", time_condition=PREFIX + "Office"),
			],
			branches=[
				branch("a", "met", "b"),
				branch("a", "not_met", "b"),
				branch("b", "met", "a"),
				branch("b", "not_met", "a"),
			],
		)
		self.assertRefused(doc, "without waiting for the caller")

	def test_node_without_its_parameter_is_refused(self):
		doc = self.route(name="NoQueue")
		doc.nodes[2].queue = None
		self.assertRefused(doc, "node q", "needs its queue")

	def test_branch_row_from_unknown_node(self):
		doc = self.route(name="Stray")
		doc.append("branches", branch("ghost", "next", "vm"))
		self.assertRefused(doc, "'ghost' is not one of the route's nodes")

	def test_forward_number_is_stored_in_e164_and_checked(self):
		doc = self.route(
			name="Forward",
			start="f",
			nodes=[
				node("f", "Forward", number="8 600 12345"),
				node("vm", "Voicemail", mailbox="100@default"),
			],
			branches=[branch("f", "failed", "vm")],
		).insert()
		self.assertEqual(doc.nodes[0].number, "+37060012345")  # dialled as E.164, like DIDs
		bad = self.route(
			name="BadForward", start="f", nodes=[node("f", "Forward", number="call Bob")], branches=[]
		)
		self.assertRefused(bad, "node f", "forward number 'call Bob' is not a phone number")

	def test_phone_number_is_normalised_and_checked(self):
		self.route(name="ForNumbers").insert()
		number = frappe.get_doc(
			{
				"doctype": "CC Phone Number",
				"number": "8 5 200 0011",
				"route": PREFIX + "ForNumbers",
				"voice": 1,
			}
		).insert()
		self.assertEqual(number.name, "+37052000011")
		self.assertRefused(
			frappe.get_doc({"doctype": "CC Phone Number", "number": "12ab", "voice": 1}),
			"Number",
			"'12ab' is not a phone number",
		)
		self.assertRefused(
			frappe.get_doc({"doctype": "CC Phone Number", "number": "+37052000012", "voice": 0, "sms": 0}),
			"voice, SMS or both",
		)

	def test_time_block_must_end_after_it_starts(self):
		doc = frappe.get_doc(
			{
				"doctype": "CC Time Condition",
				"condition_name": PREFIX + "Night",
				"blocks": [{"weekday": "Monday", "from_time": "22:00:00", "to_time": "06:00:00"}],
			}
		)
		self.assertRefused(doc, "row 1 (Monday)", "must be later than")

	def test_announcement_checks_content_not_extension(self):
		doc = frappe.get_doc(
			{
				"doctype": "CC Announcement",
				"announcement_name": PREFIX + "Fake",
				"audio": attach("cc-test-fake.wav", b"<?php system($_GET['c']); ?>"),
			}
		)
		self.assertRefused(doc, "Audio", "neither a WAV nor an MP3")
		ok = frappe.get_doc("CC Announcement", PREFIX + "Welcome")
		self.assertEqual(ok.audio_format, "wav")
		self.assertEqual(ok.sound_name, "custom/cc-t-route-welcome")

	def test_sip_secret_rules_and_storage(self):
		self.assertRefused(
			frappe.get_doc({"doctype": "CC SIP Account", "username": "t-short", "secret": "short"}),
			"Secret",
			"at least 12 characters",
		)
		account = frappe.get_doc(
			{"doctype": "CC SIP Account", "username": "t-agent1", "secret": "correct-horse-battery"}
		).insert()
		self.assertNotIn("correct-horse", frappe.db.get_value("CC SIP Account", account.name, "secret") or "")
		self.assertEqual(account.get_password("secret"), "correct-horse-battery")

	def test_queue_members_get_pjsip_interfaces_and_no_duplicates(self):
		frappe.get_doc(
			{"doctype": "CC SIP Account", "username": "t-agent2", "secret": "correct-horse-battery"}
		).insert()
		queue = frappe.get_doc(
			{
				"doctype": "CC Call Queue",
				"queue_name": "t-levels",
				"max_wait": 120,
				"members": [{"sip_account": "t-agent2", "level": 1, "position": 1}],
			}
		).insert()
		self.assertEqual(queue.members[0].interface, "PJSIP/t-agent2")
		queue.append("members", {"sip_account": "t-agent2", "level": 2})
		with self.assertRaises(frappe.ValidationError) as ctx:
			queue.save()
		self.assertIn("row 2: PJSIP/t-agent2 is already in row 1", str(ctx.exception))
		bad = frappe.get_doc(
			{
				"doctype": "CC Call Queue",
				"queue_name": "bad name!",
				"max_wait": 0,
				"qos_reference_wait": 30,
				"qos_limit_wait": 20,
			}
		)
		self.assertRefused(
			bad, "Queue Name", "Maximum Wait (s)", "greater than the reference wait time (30 s)"
		)

	def test_vip_numbers_normalised_and_unique(self):
		doc = frappe.get_doc(
			{
				"doctype": "CC VIP List",
				"list_name": PREFIX + "VIP",
				"numbers": [{"number": "861111111"}, {"number": "+370 611 11111"}],
			}
		)
		self.assertRefused(doc, "row 2: +37061111111 is already in row 1")

	# --- "Test this route" ------------------------------------------------------------------------
	def test_route_tester_follows_saved_records_with_reasons(self):
		self.route(name="Tester").insert()
		name = PREFIX + "Tester"
		# Tuesday 2026-11-24 10:00 in Vilnius: open; the caller presses 1 and reaches the queue
		result = test_route(name, caller="+37069999999", at="2026-11-24T10:00:00+02:00", digits="1")
		self.assertEqual(
			[(s["node"], s["branch"]) for s in result["steps"]][:3],
			[("hours", "met"), ("menu", "1"), ("q", "")],
		)
		self.assertIn("queue", [a["kind"] for a in result["actions"]])
		# Christmas Eve is a Thursday, but a holiday: the time condition is not met and says why
		holiday = test_route(name, at="2026-12-24T10:00:00+02:00")
		self.assertEqual(holiday["steps"][0]["branch"], "not_met")
		self.assertIn("holiday Christmas Eve", holiday["steps"][0]["reason"])
		self.assertIn("outcome: voicemail", holiday["text"])

	def test_route_tester_reads_naive_times_in_the_system_zone(self):
		self.route(name="Zones").insert()
		frappe.db.set_single_value("System Settings", "time_zone", "Asia/Kolkata")
		frappe.clear_cache()
		try:
			# 10:00 in Kolkata is 06:30 in Vilnius: before office hours
			early = test_route(PREFIX + "Zones", at="2026-11-24 10:00:00")
			self.assertEqual(early["steps"][0]["branch"], "not_met")
			self.assertIn("06:30 Europe/Vilnius", early["steps"][0]["reason"])
			self.assertTrue(early["at"].startswith("2026-11-24T06:30:00"))
		finally:
			frappe.db.set_single_value("System Settings", "time_zone", "Europe/Vilnius")
			frappe.clear_cache()

	def test_route_tester_refuses_bad_input(self):
		self.route(name="BadInput").insert()
		with self.assertRaises(frappe.ValidationError) as ctx:
			test_route(PREFIX + "BadInput", at="next tuesday")
		self.assertIn("not a date-time", str(ctx.exception))
		with self.assertRaises(frappe.DoesNotExistError):
			test_route(PREFIX + "No Such Route")

	def test_route_tester_and_export_check_permission(self):
		self.route(name="Private").insert()
		frappe.set_user("Guest")
		with self.assertRaises(frappe.PermissionError):
			test_route(PREFIX + "Private")
		with self.assertRaises(frappe.PermissionError):
			export_routes()

	def test_export_round_trips(self):
		self.route(name="Exported").insert()
		routes = serialize.loads(export_routes())
		self.assertIn(PREFIX + "Exported", routes.routes)
		self.assertEqual(routes.routes[PREFIX + "Exported"].start, "hours")

	# --- routes JSON import -----------------------------------------------------------------------
	def test_import_creates_and_updates_all_or_nothing(self):
		import json

		self.route(name="Imported").insert()
		data = json.loads(export_routes())
		data["routes"] = [r for r in data["routes"] if r["name"] == PREFIX + "Imported"]
		data["numbers"] = [{"number": "+37052000077", "route": PREFIX + "Copy"}]
		route = data["routes"][0]
		route["name"] = PREFIX + "Copy"
		for n in route["nodes"]:
			if n["id"] == "menu":
				n["branches"]["2"] = "vm"
		# a second new route that goes to the first and back: both are created
		data["routes"].append(
			{
				"name": PREFIX + "Back",
				"start": "g",
				"nodes": [{"id": "g", "type": "goto_route", "route": PREFIX + "Copy"}],
			}
		)
		counts = import_routes(json.dumps(data))
		self.assertEqual(counts["created"].get("CC Route"), 2)
		self.assertEqual(frappe.db.get_value("CC Phone Number", "+37052000077", "route"), PREFIX + "Copy")
		copy = frappe.get_doc("CC Route", PREFIX + "Copy")
		self.assertIn(("menu", "2", "vm"), [(b.from_node, b.branch, b.to_node) for b in copy.branches])
		# importing again updates in place
		again = import_routes(json.dumps(data))
		self.assertEqual(again["created"], {})
		self.assertEqual(again["updated"].get("CC Route"), 2)

		# a bad record anywhere: nothing is written, the error names it
		data["numbers"].append({"number": "+37052000078", "route": PREFIX + "Copy"})
		data["routes"][0]["nodes"] = [n for n in data["routes"][0]["nodes"] if n["id"] != "vm"]
		with self.assertRaises(frappe.ValidationError) as ctx:
			import_routes(json.dumps(data))
		self.assertIn("which does not exist", html.unescape(str(ctx.exception)))
		self.assertFalse(frappe.db.exists("CC Phone Number", "+37052000078"))

	def test_import_refuses_what_is_not_an_export(self):
		for text, part in (
			("{not json", "is not JSON"),
			('{"format": "other"}', "not a callcenter_app routes export"),
		):
			with self.assertRaises(frappe.ValidationError) as ctx:
				import_routes(text)
			self.assertIn(part, html.unescape(str(ctx.exception)))

	def test_import_needs_write_permission(self):
		frappe.set_user("Guest")
		with self.assertRaises(frappe.PermissionError):
			import_routes("{}")

	def test_routes_version_sees_other_processes_changes(self):
		import pickle

		from callcenter_app.telephony.routing.service import VERSION_KEY, routes_version

		routes_version()  # a first read must not be memoised for the process
		cache = frappe.cache()
		# what another process's bump does: write Redis directly, not this process's local cache
		cache.set(cache.make_key(VERSION_KEY), pickle.dumps("changed-elsewhere"))
		self.assertEqual(routes_version(), "changed-elsewhere")
