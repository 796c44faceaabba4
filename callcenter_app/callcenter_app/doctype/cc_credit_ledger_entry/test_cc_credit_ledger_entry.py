# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests for the credit ledger (credit/service.py): idempotent posts, signs and corrections, the
append-only rule through every door (save, cancel, delete, rename, a direct insert), and concurrent posts
from threads with their own database connections that keep the balance equal to the sum of entries."""

import threading

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.credit import service
from callcenter_app.test_utils import make_credit_account, make_user, purge_credit

CUSTOMER = "CC Test Ledger Customer"


class TestLedger(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.account = make_credit_account(CUSTOMER)

	def tearDown(self):
		frappe.db.rollback()

	def test_post_moves_the_balance_and_records_balance_after(self):
		e1 = service.post_entry(self.account, "Top-up", 1000, None, None, "manual:t1")
		e2 = service.post_entry(
			self.account, "Call Charge", -250, "User", "Administrator", "call:t2", remark="call"
		)
		self.assertEqual((e1.balance_after_minor, e2.balance_after_minor), (1000, 750))
		self.assertEqual(e2.currency, "EUR")
		self.assertEqual(service.ledger_sum(self.account), (750, 750))

	def test_same_key_twice_returns_the_first_entry_and_changes_nothing(self):
		first = service.post_entry(self.account, "Top-up", 1000, None, None, "manual:same")
		again = service.post_entry(self.account, "Top-up", 1000, None, None, "manual:same")
		self.assertEqual(first.name, again.name)
		self.assertEqual(frappe.db.count("CC Credit Ledger Entry", {"account": self.account}), 1)
		self.assertEqual(service.ledger_sum(self.account), (1000, 1000))

	def test_same_key_for_another_amount_is_refused(self):
		service.post_entry(self.account, "Top-up", 1000, None, None, "manual:conflict")
		with self.assertRaisesRegex(
			service.IdempotencyConflict, "idempotency_key: manual:conflict was used by"
		):
			service.post_entry(self.account, "Top-up", 999, None, None, "manual:conflict")
		self.assertEqual(service.ledger_sum(self.account), (1000, 1000))

	def test_bad_postings_name_the_argument(self):
		cases = [
			(("Top-up", -5, "manual:x"), "amount_minor: a Top-up is positive"),
			(("Call Charge", 5, "call:x"), "amount_minor: a Call Charge is negative"),
			(("Call Charge", 0, "call:x"), "amount_minor: is 0"),
			(("Top-up", 1.5, "manual:x"), "amount_minor: must be a whole number"),
			(("Top-up", True, "manual:x"), "amount_minor: must be a whole number"),
			(("Gift", 5, "manual:x"), "kind: must be one of"),
			(("Top-up", 5, "call:x"), "idempotency_key: 'call:x' is no key for a Top-up"),
			(("Correction", 5, "correction:x"), "against: a Correction names the entry it corrects"),
			(("Refund", -5, "refund:x"), "amount_minor: refund of 5 is more than the balance 0"),
		]
		for (kind, amount, key), message in cases:
			with (
				self.subTest(kind=kind, amount=amount),
				self.assertRaisesRegex(frappe.ValidationError, message),
			):
				service.post_entry(self.account, kind, amount, None, None, key)
		with self.assertRaisesRegex(frappe.ValidationError, "idempotency_key: is required"):
			service.post_entry(self.account, "Top-up", 5, None, None, "  ")
		self.assertEqual(service.ledger_sum(self.account), (0, 0))

	def test_a_correction_points_at_an_entry_of_the_same_account(self):
		wrong = service.post_entry(self.account, "Call Charge", -900, None, None, "call:wrong")
		fix = service.post_entry(
			self.account, "Correction", 600, None, None, "correction:fix", against=wrong.name
		)
		self.assertEqual(fix.against_entry, wrong.name)
		self.assertEqual(service.ledger_sum(self.account), (-300, -300))
		with self.assertRaisesRegex(frappe.ValidationError, "amount_minor: corrects 400 but only 300"):
			service.post_entry(
				self.account, "Correction", 400, None, None, "correction:fix3", against=wrong.name
			)
		with self.assertRaisesRegex(
			frappe.ValidationError, "amount_minor: a correction of a Call Charge has the opposite"
		):
			service.post_entry(
				self.account, "Correction", -100, None, None, "correction:fix4", against=wrong.name
			)
		other = make_credit_account("CC Test Ledger Other")
		with self.assertRaisesRegex(
			frappe.ValidationError, "against: 'call:wrong' belongs to another account"
		):
			service.post_entry(other, "Correction", 600, None, None, "correction:fix2", against=wrong.name)
		self.assertEqual(service.ledger_sum(self.account), (-300, -300))

	def test_entries_are_append_only_through_every_door(self):
		entry = service.post_entry(self.account, "Top-up", 1000, None, None, "manual:ro")
		doc = frappe.get_doc("CC Credit Ledger Entry", entry.name)
		doc.amount_minor = 1
		with self.assertRaisesRegex(frappe.PermissionError, "cannot be changed: post a Correction"):
			doc.save(ignore_permissions=True)
		with self.assertRaisesRegex(frappe.PermissionError, "cannot be deleted"):
			frappe.delete_doc("CC Credit Ledger Entry", entry.name, ignore_permissions=True)
		with self.assertRaises(frappe.PermissionError):
			frappe.rename_doc("CC Credit Ledger Entry", entry.name, "CLE-RENAMED", force=True)
		forged = frappe.get_doc(
			{
				"doctype": "CC Credit Ledger Entry",
				"account": self.account,
				"posting_time": frappe.utils.now_datetime(),
				"kind": "Top-up",
				"amount_minor": 10**6,
				"currency": "EUR",
				"idempotency_key": "manual:forged",
			}
		)
		with self.assertRaisesRegex(frappe.PermissionError, "posted by the credit ledger"):
			forged.insert(ignore_permissions=True)
		self.assertEqual(service.ledger_sum(self.account), (1000, 1000))

	def test_no_role_may_write_or_delete_entries(self):
		meta = frappe.get_meta("CC Credit Ledger Entry")
		for perm in meta.permissions:
			for right in ("write", "create", "delete", "cancel", "submit", "amend", "import"):
				self.assertFalse(perm.get(right), f"{perm.role} has {right} on ledger entries")
		user = make_user("cc-ledger-accountant@example.com", ("Accountant", "Call Center Manager"))
		entry = service.post_entry(self.account, "Top-up", 10, None, None, "manual:perm")
		frappe.set_user(user)
		self.assertTrue(frappe.has_permission("CC Credit Ledger Entry", "read", entry.name))
		for right in ("write", "delete", "cancel", "create"):
			self.assertFalse(frappe.has_permission("CC Credit Ledger Entry", right, entry.name), right)

	def test_saving_the_account_form_keeps_the_posted_balance(self):
		service.post_entry(self.account, "Top-up", 1000, None, None, "manual:form")
		doc = frappe.get_doc("CC Credit Account", self.account)
		doc.balance_minor = 5  # a stale or forged value from the form
		doc.low_balance_threshold_minor = 100
		doc.save(ignore_permissions=True)
		self.assertEqual(service.ledger_sum(self.account), (1000, 1000))

	def test_only_one_site_account(self):
		make_credit_account(None)
		with self.assertRaisesRegex(frappe.ValidationError, "the site's own account is"):
			frappe.get_doc({"doctype": "CC Credit Account", "currency": "EUR", "title": "Second"}).insert(
				ignore_permissions=True
			)


class TestConcurrentPosts(FrappeTestCase):
	"""Threads with their own connections post to one account at once (and replay each other's keys):
	every entry lands once, and the balance equals the sum of the entries."""

	CUSTOMER = "CC Test Ledger Race"

	def setUp(self):
		frappe.set_user("Administrator")
		self.account = make_credit_account(self.CUSTOMER)
		frappe.db.commit()

	def tearDown(self):
		frappe.db.rollback()
		purge_credit([self.account])
		frappe.db.commit()

	def test_concurrent_posts_keep_balance_equal_to_sum(self):
		site, sites_path = frappe.local.site, frappe.local.sites_path
		threads, per_thread, errors = 6, 15, []
		start = threading.Barrier(threads)

		def poster(n: int):
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				frappe.set_user("Administrator")
				start.wait(30)
				for i in range(per_thread):
					# every key is posted by two threads: each must count once
					kind, amount = ("Top-up", 100 + i) if i % 3 else ("Call Charge", -(7 + n // 2))
					key = f"{'manual' if i % 3 else 'call'}:race:{(n // 2)}:{i}"
					service.post_entry(self.account, kind, amount, None, None, key)
					frappe.db.commit()
			except Exception as e:  # reported below, with the thread's number
				errors.append((n, repr(e)))
				frappe.db.rollback()
			finally:
				frappe.destroy()

		workers = [threading.Thread(target=poster, args=(n,)) for n in range(threads)]
		for w in workers:
			w.start()
		for w in workers:
			w.join(120)
		self.assertEqual(errors, [])
		frappe.db.commit()  # a fresh snapshot
		entries = frappe.get_all(
			"CC Credit Ledger Entry",
			filters={"account": self.account},
			fields=["amount_minor", "balance_after_minor", "posting_time", "name"],
			order_by="name asc",
		)
		self.assertEqual(len(entries), (threads // 2) * per_thread)
		expected = sum(
			(100 + i) if i % 3 else -(7 + k) for k in range(threads // 2) for i in range(per_thread)
		)
		self.assertEqual(service.ledger_sum(self.account), (expected, expected))
		running = 0
		for e in entries:  # names follow insertion order, which the row lock serialised
			running += e.amount_minor
			self.assertEqual(e.balance_after_minor, running)
