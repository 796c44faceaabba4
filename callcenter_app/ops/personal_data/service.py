"""Frappe side of privacy: a customer's call-center data in Frappe's Personal Data Deletion and Download
requests, and the recordings' retention job's file deletion.

Frappe finds a requester's data by their email (``user_data_fields``); calls, SMS and call lists are kept
by phone number. So the requests' doctypes are extended (``override_doctype_class`` in hooks.py): the
requester's Contacts (Contact Email rows with their email) and those Contacts' numbers (``cc_e164`` and the
text as written) find the CC Call Log, CC SMS Message and CC Campaign Contact records; deletion redacts them
(``ops/privacy.redaction``) and deletes their recordings' files *before* Frappe anonymises the Contact (after
that nothing would find them); the download adds them to Frappe's JSON under ``"call center"``.
"""

from __future__ import annotations

import json
import os

import frappe
from frappe import _
from frappe.website.doctype.personal_data_deletion_request.personal_data_deletion_request import (
	PersonalDataDeletionRequest,
)
from frappe.website.doctype.personal_data_download_request.personal_data_download_request import (
	PersonalDataDownloadRequest,
	get_user_data,
)

from callcenter_app.ops import privacy


def subject(email: str) -> tuple[list[str], set[str]]:
	"""The Contacts with ``email`` and every number they hold (E.164 and as written)."""
	contacts = set(
		frappe.get_all("Contact Email", filters={"email_id": email, "parenttype": "Contact"}, pluck="parent")
	)
	contacts |= set(frappe.get_all("Contact", filters={"email_id": email}, pluck="name"))
	numbers: set[str] = set()
	if contacts:
		for row in frappe.get_all(
			"Contact Phone",
			filters={"parenttype": "Contact", "parent": ["in", sorted(contacts)]},
			fields=["phone", "cc_e164"],
		):
			numbers |= {n for n in (row.phone, row.cc_e164) if n}
	return sorted(contacts), numbers


def records(email: str) -> dict[str, list[dict]]:
	"""Every call-center record of the requester, per doctype (the export fields plus what redaction needs)."""
	contacts, numbers = subject(email)
	found: dict[str, list[dict]] = {}
	for doctype, spec in privacy.SUBJECT_FIELDS.items():
		fields = sorted({*spec["export"], "name", "contact", *spec.get("needs", ())})
		or_filters = []
		if contacts:
			or_filters.append([doctype, "contact", "in", contacts])
		if numbers:
			or_filters += [[doctype, field, "in", sorted(numbers)] for field in spec["numbers"]]
		if not or_filters:
			continue
		rows = frappe.get_all(doctype, or_filters=or_filters, fields=fields, order_by="creation asc")
		if rows:
			found[doctype] = rows
	return found


def recording_file(name: str) -> str | None:
	"""The recording file inside CC Settings' recordings folder (never outside it), or None."""
	folder = frappe.db.get_single_value("CC Settings", "recordings_folder")
	if not folder or not name:
		return None
	root = os.path.realpath(folder)
	path = os.path.realpath(os.path.join(root, os.path.basename(name)))
	return path if os.path.dirname(path) == root else None


def delete_recording(call_log: str, recording: str, why: str) -> bool:
	"""Delete a call's recording file, clear the field and note it on the call (which call, when, why)."""
	path = recording_file(recording)
	existed = bool(path and os.path.isfile(path))
	if existed:
		os.remove(path)
	frappe.db.set_value("CC Call Log", call_log, "recording", "", update_modified=False)
	note = _("Recording {0} deleted on {1}: {2}").format(
		os.path.basename(recording), frappe.utils.now(), why if existed else why + _(" (the file was gone)")
	)
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": "CC Call Log",
			"reference_name": call_log,
			"content": note,
		}
	).insert(ignore_permissions=True)
	frappe.logger("callcenter_privacy", allow_site=True).info("%s: %s", call_log, note)
	return existed


def erase(email: str, request: str) -> dict[str, int]:
	"""Redact the requester's call-center data and delete their recordings; counts per doctype."""
	done: dict[str, int] = {}
	for doctype, rows in records(email).items():
		for row in rows:
			if doctype == "CC Call Log" and row.get("recording"):
				delete_recording(
					row.name, row.recording, _("personal data deletion request {0}").format(request)
				)
			frappe.db.set_value(doctype, row.name, privacy.redaction(doctype, row), update_modified=False)
		done[doctype] = len(rows)
	frappe.logger("callcenter_privacy", allow_site=True).info("deletion request %s: erased %s", request, done)
	return done


class CCPersonalDataDeletionRequest(PersonalDataDeletionRequest):
	"""Frappe's request, which also erases the call-center data found through the requester's Contacts."""

	def _anonymize_data(self, email=None, anon=None, set_data=True, commit=False):
		erase(email or self.email, self.name)
		return super()._anonymize_data(email=email, anon=anon, set_data=set_data, commit=commit)


def export(email: str) -> dict[str, list[dict]]:
	return {
		doctype: [{k: row.get(k) for k in privacy.SUBJECT_FIELDS[doctype]["export"]} for row in rows]
		for doctype, rows in records(email).items()
	}


class CCPersonalDataDownloadRequest(PersonalDataDownloadRequest):
	"""Frappe's download, with the call-center records under ``"call center"``."""

	def after_insert(self):
		data = json.loads(get_user_data(self.user))
		data["call center"] = export(self.user)
		frappe.enqueue_doc(
			self.doctype,
			self.name,
			"generate_file_and_send_mail",
			queue="short",
			personal_data=json.dumps(data, indent=2, default=str),
			now=frappe.flags.in_test,
		)
