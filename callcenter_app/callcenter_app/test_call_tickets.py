"""Bench tests of call_tickets/service.py: calls open or join tickets; the caller's Contact is found by the
indexed E.164 key of its phone rows."""

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.telephony.call_logs.service import upsert_call_logs
from callcenter_app.test_utils import recorded_call


class TestCallsToTickets(FrappeTestCase):
	"""Per CC Settings, finished calls open or join the caller's ticket, with the call on its timeline."""

	def setUp(self):
		from callcenter_app.test_utils import make_agent

		frappe.set_user("Administrator")
		frappe.db.set_single_value("System Settings", "country", "Lithuania")
		settings = frappe.get_single("CC Settings")
		settings.ticket_for_answered_calls = 1
		settings.ticket_for_missed_calls = 1
		settings.save()
		self.agent = make_agent("cc-tix@example.com", "cc-tix")
		self.n = 0

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def call(self, caller="+37060012345", status="answered", **kw) -> str:
		self.n += 1
		record = {
			**recorded_call(),
			"linkedid": f"cc-test-{frappe.generate_hash(length=8)}.{self.n}",
			"caller": caller,
			"caller_name": kw.pop("caller_name", ""),
			"status": status,
			"agent_interface": "PJSIP/cc-tix" if status == "answered" else "",
			**kw,
		}
		upsert_call_logs([record])
		from callcenter_app.telephony.call_tickets.service import link_calls_to_tickets

		link_calls_to_tickets([record["linkedid"]])
		return record["linkedid"]

	def ticket_of(self, linkedid):
		return frappe.db.get_value("CC Call Log", linkedid, "ticket")

	def comments(self, ticket):
		return frappe.get_all("HD Ticket Comment", filters={"reference_ticket": ticket}, pluck="content")

	def test_answered_call_from_a_new_number_opens_a_ticket_with_a_new_contact(self):
		linkedid = self.call(caller_name="Jonas Jonaitis")
		ticket = frappe.get_doc("HD Ticket", self.ticket_of(linkedid))
		self.assertEqual(ticket.subject, "Call from Jonas Jonaitis (+37060012345)")
		self.assertEqual((ticket.cc_channel, ticket.cc_callback), ("Phone", 0))
		self.assertEqual(frappe.db.get_value("Contact", ticket.contact, "first_name"), "Jonas Jonaitis")
		(comment,) = self.comments(ticket.name)
		self.assertIn("answered by cc-tix@example.com", comment)
		self.assertIn(f"/app/cc-call-log/{linkedid}", comment)

	def test_next_call_joins_the_open_ticket_matching_the_number_written_any_way(self):
		from callcenter_app.test_utils import make_contact

		contact = make_contact("Ona", "8 (600) 12-345")  # national format, as people type it
		first = self.ticket_of(self.call())
		self.assertEqual(frappe.db.get_value("HD Ticket", first, "contact"), contact)
		second = self.ticket_of(self.call(status="abandoned", wait_s=40))
		self.assertEqual(second, first)
		self.assertEqual(frappe.db.get_value("HD Ticket", first, "cc_callback"), 1)
		self.assertIn("hung up while waiting", self.comments(first)[0] + self.comments(first)[1])

	def test_missed_call_gives_a_call_back_ticket(self):
		ticket = frappe.get_doc("HD Ticket", self.ticket_of(self.call("+37060099999", status="missed")))
		self.assertEqual((ticket.subject, ticket.cc_callback), ("Call back +37060099999", 1))

	def test_a_closed_ticket_is_not_joined(self):
		first = self.ticket_of(self.call())
		frappe.db.set_value("HD Ticket", first, "status", "Closed")
		self.assertNotEqual(self.ticket_of(self.call()), first)

	def test_rules_off_withheld_numbers_and_repeats_make_nothing(self):
		frappe.db.set_single_value("CC Settings", "ticket_for_missed_calls", 0)
		frappe.clear_document_cache("CC Settings", "CC Settings")
		before = frappe.db.count("HD Ticket")
		self.call(status="missed")
		self.call(caller="anonymous")
		self.call(status="failed")
		self.assertEqual(frappe.db.count("HD Ticket"), before)
		linkedid = self.call()
		from callcenter_app.telephony.call_tickets.service import link_calls_to_tickets

		self.assertEqual(link_calls_to_tickets([linkedid]), {"linked": 0, "skipped": 1, "failed": 0})
		self.assertEqual(frappe.db.count("HD Ticket"), before + 1)

	def test_click_to_call_from_a_ticket_joins_that_ticket(self):
		first = self.ticket_of(self.call())
		outbound = self.call(caller="+37060077777", direction="outbound", ticket=first)
		self.assertEqual(self.ticket_of(outbound), first)
		self.assertIn("Outbound call", self.comments(first)[0] + self.comments(first)[-1])

	def test_the_scheduled_job_links_calls_left_behind(self):
		from callcenter_app.telephony.call_tickets.service import link_pending_calls

		record = {**recorded_call(), "linkedid": "cc-test-pending.1", "caller": "+37060044444"}
		upsert_call_logs([record])  # the writer failed before linking (an outage, a bug)
		self.assertFalse(self.ticket_of("cc-test-pending.1"))
		link_pending_calls()
		self.assertTrue(self.ticket_of("cc-test-pending.1"))
		self.assertTrue(frappe.get_hooks("scheduler_events")["cron"]["*/5 * * * *"])

	def test_calls_are_mirrored_to_the_telephony_app_when_installed(self):
		if not frappe.db.exists("DocType", "TP Call Log"):
			self.skipTest("the telephony app is not installed on this site")
		linkedid = self.call(caller_name="Jonas")
		ticket = self.ticket_of(linkedid)
		tp = frappe.get_doc("TP Call Log", linkedid)
		self.assertEqual(
			(tp.get("from"), tp.type, tp.status, tp.receiver),
			("+37060012345", "Incoming", "Completed", self.agent),
		)
		self.assertIn(
			("HD Ticket", str(ticket)), [(link.link_doctype, str(link.link_name)) for link in tp.links]
		)
		self.call(status="missed")  # joins the same ticket; its own TP Call Log
		self.assertEqual(frappe.db.count("TP Call Log", {"medium": "Asterisk"}), 2)


class TestContactPhoneKeys(FrappeTestCase):
	"""Contact Phone rows keep their number in E.164 in the indexed cc_e164 (doc event and patch), and the
	caller's contact is found by it, whichever way the number was typed."""

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("System Settings", "country", "Lithuania")

	def tearDown(self):
		frappe.db.rollback()

	def contact(self, *phones: str) -> frappe.model.document.Document:
		return frappe.get_doc(
			{"doctype": "Contact", "first_name": "Keys", "phone_nos": [{"phone": p} for p in phones]}
		).insert(ignore_permissions=True)

	def keys(self, contact: str) -> list[str]:
		return frappe.get_all(
			"Contact Phone", filters={"parent": contact}, pluck="cc_e164", order_by="idx asc"
		)

	def test_the_field_is_indexed(self):
		indexed = frappe.db.sql("show index from `tabContact Phone` where Column_name = 'cc_e164'")
		self.assertTrue(indexed)
		# a caller ID that is no E.164 number is looked up by its text: indexed too
		self.assertTrue(frappe.db.sql("show index from `tabContact Phone` where Key_name = 'cc_phone_index'"))

	def test_a_new_contact_gets_its_numbers_in_e164_and_an_odd_number_does_not_block_the_save(self):
		contact = self.contact("+370 600 12345", "8 (600) 12-346", "+999 1234567")
		self.assertEqual(self.keys(contact.name), ["+37060012345", "+37060012346", None])

	def test_editing_a_number_updates_its_key(self):
		contact = self.contact("+370 600 12345")
		contact.phone_nos[0].phone = "8 600 54321"
		contact.append("phone_nos", {"phone": "+44 20 7946 0958"})
		contact.save(ignore_permissions=True)
		self.assertEqual(self.keys(contact.name), ["+37060054321", "+442079460958"])

	def test_the_caller_is_found_whichever_way_the_number_was_saved(self):
		from callcenter_app.telephony.call_tickets.service import contact_for_number

		international = self.contact("+370 600 12345")
		self.assertEqual(contact_for_number("+37060012345"), international.name)
		self.assertEqual(contact_for_number("860012345"), international.name)
		national = self.contact("8 600 12345")  # the most recently modified wins, as before
		self.assertEqual(contact_for_number("+37060012345"), national.name)
		international.save(ignore_permissions=True)
		self.assertEqual(contact_for_number("+37060012345"), international.name)
		self.assertIsNone(contact_for_number("+37060012399"))
		self.assertIsNone(contact_for_number("1001"))  # an extension is nobody's contact
		odd = self.contact("+999 1234567")  # no such country code
		self.assertEqual(contact_for_number("+999 1234567"), odd.name)  # exact text, as before

	def test_the_lookup_goes_by_the_stored_key(self):
		from callcenter_app.telephony.call_tickets.service import contact_for_number

		contact = self.contact("+370 600 12345")
		frappe.db.sql(  # a bulk import that wrote the key itself
			"update `tabContact Phone` set phone = 'see notes', cc_e164 = '+37060077777' where parent = %s",
			contact.name,
		)
		self.assertEqual(contact_for_number("+370 600 77777"), contact.name)

	def test_the_patch_fills_old_rows_and_can_run_again(self):
		from callcenter_app.patches.v1_0 import contact_phone_e164

		old = self.contact("+370 600 12345", "8 600 12346", "+999 1234567")
		other = self.contact("+370 600 12347")
		frappe.db.sql(  # as rows saved before this field existed, and one left stale
			"update `tabContact Phone` set cc_e164 = null where parent = %s", old.name
		)
		frappe.db.sql("update `tabContact Phone` set cc_e164 = '+1' where parent = %s", other.name)
		contact_phone_e164.execute()
		self.assertEqual(self.keys(old.name), ["+37060012345", "+37060012346", None])
		self.assertEqual(self.keys(other.name), ["+37060012347"])
		from callcenter_app.telephony.call_tickets.service import fill_phone_keys

		self.assertEqual(fill_phone_keys(batch_size=2, progress=None), 0)
