"""Bench tests: the recordings retention job, and a customer's call-center data in Frappe's Personal Data
Deletion and Download requests."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime

from callcenter_app.ops import privacy, tasks
from callcenter_app.test_utils import make_call_log, make_user

CUSTOMER = "privacy-customer@cc-test.invalid"
NUMBER = "+37060077001"


class PrivacyCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.folder = tempfile.mkdtemp(prefix="cc-recordings-")
		frappe.db.set_single_value("CC Settings", "recordings_folder", self.folder)

	def tearDown(self):
		frappe.db.rollback()
		shutil.rmtree(self.folder, ignore_errors=True)

	def recording(self, name: str) -> str:
		with open(os.path.join(self.folder, name), "wb") as f:
			f.write(b"RIFF....WAVE")
		return name

	def notes(self, call: str) -> list[str]:
		return frappe.get_all(
			"Comment",
			filters={"reference_doctype": "CC Call Log", "reference_name": call, "comment_type": "Info"},
			pluck="content",
		)


class TestRecordingRetention(PrivacyCase):
	def test_old_recordings_go_with_a_note_and_new_ones_stay(self):
		old = make_call_log("priv-old.1", add_days(now_datetime(), -40), recording=self.recording("old.wav"))
		new = make_call_log("priv-new.1", add_days(now_datetime(), -5), recording=self.recording("new.wav"))
		frappe.db.set_single_value("CC Settings", "recording_retention_days", 30)
		self.assertEqual(tasks.delete_expired_recordings(), 1)
		self.assertFalse(os.path.exists(os.path.join(self.folder, "old.wav")))
		self.assertTrue(os.path.exists(os.path.join(self.folder, "new.wav")))
		self.assertEqual(frappe.db.get_value("CC Call Log", old, "recording"), "")
		self.assertEqual(frappe.db.get_value("CC Call Log", new, "recording"), "new.wav")
		[note] = self.notes(old)
		self.assertIn("old.wav", note)
		self.assertIn("kept 30 days", note)
		self.assertIn("daily recordings job", note)
		self.assertEqual(self.notes(new), [])

	def test_zero_keeps_every_recording(self):
		make_call_log("priv-ancient.1", add_days(now_datetime(), -4000), recording=self.recording("a.wav"))
		frappe.db.set_single_value("CC Settings", "recording_retention_days", 0)
		self.assertEqual(tasks.delete_expired_recordings(), 0)
		self.assertTrue(os.path.exists(os.path.join(self.folder, "a.wav")))

	def test_a_negative_retention_is_refused_naming_the_field(self):
		settings = frappe.get_single("CC Settings")
		settings.recording_retention_days = -1
		with self.assertRaises(frappe.ValidationError) as refused:
			settings.save()
		self.assertIn("Keep Recordings (days)", str(refused.exception))


class TestPersonalData(PrivacyCase):
	def setUp(self):
		super().setUp()
		mail = patch("frappe.sendmail")  # the requests mail the requester; the site has no email account
		mail.start()
		self.addCleanup(mail.stop)
		make_user(CUSTOMER)
		frappe.db.set_value("User", CUSTOMER, "user_type", "Website User")
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Privacy",
				"email_ids": [{"email_id": CUSTOMER, "is_primary": 1}],
				"phone_nos": [{"phone": NUMBER, "is_primary_phone": 1}],
			}
		).insert(ignore_permissions=True)
		self.call = make_call_log(
			"priv-call.1",
			now_datetime(),
			caller=NUMBER,
			caller_name="Privacy",
			recording=self.recording("c.wav"),
		)
		self.other = make_call_log("priv-call.2", now_datetime(), caller="+37060077999")
		self.sms = (
			frappe.get_doc(
				{
					"doctype": "CC SMS Message",
					"direction": "Inbound",
					"status": "Received",
					"provider": "Generic",
					"sender": NUMBER,
					"recipient": "+37052000000",
					"body": "my card number is 1234",
					"contact": contact.name,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def test_deletion_request_erases_calls_sms_and_recordings(self):
		from frappe.website.doctype.personal_data_deletion_request.personal_data_deletion_request import (
			PersonalDataDeletionRequest,
		)

		request = frappe.get_doc({"doctype": "Personal Data Deletion Request", "email": CUSTOMER})
		request.insert(ignore_permissions=True)
		# Frappe's own anonymisation (User, Contact, Communication…) is Frappe's to test
		with patch.object(PersonalDataDeletionRequest, "_anonymize_data") as frappes:
			request._anonymize_data()
		frappes.assert_called_once()
		call = frappe.db.get_value(
			"CC Call Log", self.call, ["caller", "caller_name", "recording"], as_dict=True
		)
		self.assertEqual((call.caller, call.caller_name, call.recording), ("", "", ""))
		self.assertFalse(os.path.exists(os.path.join(self.folder, "c.wav")))
		self.assertIn(request.name, self.notes(self.call)[0])
		sms = frappe.db.get_value("CC SMS Message", self.sms, ["sender", "body", "recipient"], as_dict=True)
		self.assertEqual(sms.sender, "")
		self.assertEqual(sms.body, privacy.ERASED_TEXT)
		self.assertEqual(sms.recipient, "+37052000000")  # our number is not theirs
		self.assertEqual(frappe.db.get_value("CC Call Log", self.other, "caller"), "+37060077999")

	def test_download_request_includes_the_call_center_records(self):
		request = frappe.get_doc({"doctype": "Personal Data Download Request", "user": CUSTOMER})
		request.insert(ignore_permissions=True)
		file_url = frappe.db.get_value(
			"File",
			{"attached_to_doctype": "Personal Data Download Request", "attached_to_name": request.name},
			"file_url",
		)
		data = json.loads(frappe.get_doc("File", {"file_url": file_url}).get_content())
		ours = data["call center"]
		self.assertEqual([c["name"] for c in ours["CC Call Log"]], [self.call])
		self.assertEqual(ours["CC SMS Message"][0]["body"], "my card number is 1234")
