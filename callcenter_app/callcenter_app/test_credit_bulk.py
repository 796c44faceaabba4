# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""Bench tests of the bulk credit path (credit.service.confirm_top_ups, bank.service.credit_lines): it gives
the per-entry path's entries, amounts and balances; re-running an import, a line, or the same credits
credits nothing twice; a crash mid-way and a re-run complete exactly once; a top-up confirmed by hand while
an import credits is credited once (the import waits on the row lock, then lists its line). The jobs
commit, so the tests clean up by name."""

import threading
import time

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.credit import bulk, references
from callcenter_app.credit import service as credit
from callcenter_app.credit.bank import service as bank
from callcenter_app.test_utils import BANK_CSV_MAPPING, make_credit_account, purge_credit

CUSTOMERS = ("CC Test Bulk P1", "CC Test Bulk P2", "CC Test Bulk B1", "CC Test Bulk B2")
MAPPING = BANK_CSV_MAPPING
THRESHOLD = 2500


def euros(minor: int) -> str:
	return f"{minor // 100},{minor % 100:02d}"


class BulkCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.batch = bank.BATCH
		self.cleanup()

	def tearDown(self):
		bank.BATCH = self.batch
		frappe.set_user("Administrator")
		frappe.db.rollback()
		self.cleanup()

	def cleanup(self):
		for name in frappe.get_all(
			"CC Bank Statement Import", filters={"bank_account": ("like", "DE00BULK%")}, pluck="name"
		):
			frappe.db.delete("CC Bank Statement Line", {"statement_import": name})
			frappe.db.delete("CC Bank Statement Import", {"name": name})
		frappe.db.delete("File", {"file_name": ("like", "cc-test-bulk%")})
		accounts = frappe.get_all("CC Credit Account", filters={"customer": ("in", CUSTOMERS)}, pluck="name")
		purge_credit(accounts)
		frappe.db.commit()

	def fixture(self, tag: str, customers: tuple[str, str]) -> tuple[list[str], str]:
		"""Two accounts (the first below its low-balance threshold and notified, by a charge), five top-ups
		each, and a CSV: eight exact matches, a partial, a second payment of a paid top-up, an unknown
		reference, a line without any. Returns (accounts, csv)."""
		accounts = []
		for customer in customers:
			account = make_credit_account(customer, low_balance_threshold_minor=THRESHOLD)
			accounts.append(account)
		credit.post_entry(accounts[0], "Call Charge", -700, None, None, f"call:bulk-{tag}")
		frappe.db.set_value("CC Credit Account", accounts[0], "low_balance_notified", 1)
		rows, n = [], 0
		for a, account in enumerate(accounts):
			for i in range(5):
				ref = references.make_reference(f"BLK{tag}{a}{i}")
				amount = 1000 * (i + 1) + 7 * a
				frappe.get_doc(
					{
						"doctype": "CC Top Up",
						"account": account,
						"method": "Bank Transfer",
						"amount_minor": amount,
						"currency": "EUR",
						"rf_reference": ref,
					}
				).insert(ignore_permissions=True)
				paid = amount if i < 4 else amount - 100  # the fifth: a partial payment
				n += 1
				rows.append(f"04.12.2026;{euros(paid)};EUR;Guthaben {ref};Kunde {a};{tag}-{n}")
				if i == 1:  # paid twice: the second is listed as Over
					n += 1
					rows.append(f"05.12.2026;{euros(paid)};EUR;nochmal {ref};Kunde {a};{tag}-{n}")
		rows.append(f"05.12.2026;9,99;EUR;{references.make_reference('NOBODY')};Fremd;{tag}-x")
		rows.append(f"05.12.2026;1,00;EUR;ohne Referenz;Fremd;{tag}-y")
		frappe.db.commit()
		return accounts, "Buchungstag;Betrag;Waehrung;Verwendungszweck;Auftraggeber;Id\n" + "\n".join(
			rows
		) + "\n"

	def statement(self, content: str, bank_account: str, file_name: str = "cc-test-bulk.csv") -> str:
		file = frappe.get_doc(
			{"doctype": "File", "file_name": file_name, "content": content, "is_private": 1}
		).insert(ignore_permissions=True)
		doc = frappe.get_doc(
			{
				"doctype": "CC Bank Statement Import",
				"file": file.file_url,
				"bank_account": bank_account,
				**MAPPING,
			}
		).insert()
		frappe.db.commit()
		return doc.name

	def result(self, name: str) -> frappe._dict:
		return frappe._dict(
			frappe.db.get_value(
				"CC Bank Statement Import",
				name,
				["status", "lines_total", "credited", "duplicates", "to_decide", "error"],
				as_dict=True,
			)
		)

	def ledger(self, accounts: list[str]) -> list[tuple]:
		"""Each account's entries in order, what a comparison may expect equal across two fixtures."""
		out = []
		for a, account in enumerate(accounts):
			balance, total = credit.ledger_sum(account)
			self.assertEqual(balance, total)
			notified = frappe.db.get_value("CC Credit Account", account, "low_balance_notified")
			out.append(("account", a, balance, notified))
			for e in frappe.get_all(
				"CC Credit Ledger Entry",
				filters={"account": account},
				fields=[
					"name",
					"kind",
					"amount_minor",
					"balance_after_minor",
					"currency",
					"source_doctype",
					"remark",
				],
				order_by="name",
			):
				top_up = frappe.db.get_value(
					"CC Top Up", {"ledger_entry": e.name}, ["status", "amount_minor"]
				)
				out.append(
					(
						e.kind,
						e.amount_minor,
						e.balance_after_minor,
						e.currency,
						e.source_doctype,
						top_up,
						bool(e.remark),
					)
				)
		return out

	def lines(self, name: str) -> list[tuple]:
		return [
			(r.match_status, r.decision, bool(r.ledger_entry), r.amount_minor)
			for r in frappe.get_all(
				"CC Bank Statement Line",
				filters={"statement_import": name},
				fields=["match_status", "decision", "ledger_entry", "amount_minor"],
				order_by="name",
			)
		]


class TestBulkCredit(BulkCase):
	def test_bulk_equals_the_per_entry_path(self):
		per_accounts, per_csv = self.fixture("P", CUSTOMERS[:2])
		bulk_accounts, bulk_csv = self.fixture("B", CUSTOMERS[2:])
		self.assertTrue(credit.bulk_path_open())
		per_name = self.statement(per_csv, "DE00BULK1")
		bulk_name = self.statement(bulk_csv, "DE00BULK2")
		for name, one_by_one in ((per_name, True), (bulk_name, False)):
			doc = frappe.get_doc("CC Bank Statement Import", name)
			bank.store_lines(doc, bank.parse_file(doc), doc.bank_account)
			self.assertEqual(bank.credit_lines(name, one_by_one=one_by_one), 8)
		self.assertEqual(self.ledger(per_accounts), self.ledger(bulk_accounts))
		self.assertEqual(self.lines(per_name), self.lines(bulk_name))
		# the first account was notified below its threshold; its top-ups re-armed the notice
		self.assertEqual(self.ledger(bulk_accounts)[0][3], 0)
		# the entries follow the naming series: consecutive, and the counter stands at the last one
		names = frappe.get_all(
			"CC Credit Ledger Entry",
			filters={"source_name": ("like", f"{bulk_name}-%")},
			pluck="name",
			order_by="name",
		)
		self.assertEqual(len(names), 8)
		numbers = [int(n.split("-")[-1]) for n in names]
		self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 8)))
		self.assertEqual(frappe.db.sql("select current from tabSeries where name='CLE-'")[0][0], numbers[-1])
		entry = frappe.get_doc("CC Credit Ledger Entry", names[0])
		line = frappe.get_doc("CC Bank Statement Line", entry.source_name)
		self.assertEqual(
			(entry.idempotency_key, entry.source_doctype, line.ledger_entry, line.decision),
			(line.line_key, "CC Bank Statement Line", entry.name, "Credited"),
		)
		top_up = frappe.db.get_value(
			"CC Top Up", line.top_up, ["status", "ledger_entry", "confirmed_at"], as_dict=True
		)
		self.assertEqual((top_up.status, top_up.ledger_entry), ("Confirmed", entry.name))
		self.assertTrue(top_up.confirmed_at)
		# the export fields (gateways.service.confirmed_top_ups feeds the CSV and the Journal Entry)
		from callcenter_app.credit.gateways.service import confirmed_top_ups

		exported = {r.name: r for r in confirmed_top_ups("2000-01-01", "2999-12-31")}
		self.assertEqual(exported[line.top_up].amount_minor, entry.amount_minor)
		self.assertEqual(exported[line.top_up].ledger_entry, entry.name)
		# appended like any entry: it cannot be changed afterwards
		entry.remark = "changed"
		with self.assertRaises(frappe.PermissionError):
			entry.save(ignore_permissions=True)

	def test_the_same_statement_twice_and_the_same_credits_again_credit_once(self):
		accounts, csv = self.fixture("T", CUSTOMERS[2:])
		first = self.statement(csv, "DE00BULK3", "cc-test-bulk-1.csv")
		bank.enqueue_import(first, now=True)
		self.assertEqual(self.result(first).credited, 8)
		before = self.ledger(accounts)
		# the same lines in a new import: duplicates, nothing credited
		second = self.statement(csv, "DE00BULK3", "cc-test-bulk-2.csv")
		bank.enqueue_import(second, now=True)
		r = self.result(second)
		self.assertEqual((r.status, r.credited, r.duplicates, r.to_decide), ("Done", 0, 14, 0))
		# crediting the first import's lines again, and the same credits straight to the ledger again
		self.assertEqual(bank.credit_lines(first), 0)
		rows = frappe.get_all(
			"CC Bank Statement Line",
			filters={"statement_import": first, "decision": "Credited"},
			fields=["name", "top_up", "amount_minor", "line_key", "ledger_entry"],
		)
		again = credit.confirm_top_ups(
			[
				bulk.Credit(r.top_up, r.amount_minor, r.line_key, "CC Bank Statement Line", r.name)
				for r in rows
			]
		)
		self.assertEqual({o.status for o in again.values()}, {bulk.ALREADY})
		self.assertEqual({k: o.entry for k, o in again.items()}, {r.name: r.ledger_entry for r in rows})
		frappe.db.commit()
		self.assertEqual(self.ledger(accounts), before)

	def test_a_crash_mid_way_and_a_rerun_credit_exactly_once(self):
		accounts, csv = self.fixture("C", CUSTOMERS[2:])
		name = self.statement(csv, "DE00BULK4")
		bank.BATCH = 3
		from callcenter_app.credit.gateways import service as gateways

		after_confirm, calls = gateways.after_confirm, []

		def crash(top_up):  # the fifth top-up: in the second batch, after its entries were inserted
			calls.append(top_up)
			if len(calls) == 5:
				raise RuntimeError("worker lost")
			return after_confirm(top_up)

		gateways.after_confirm = crash
		try:
			bank.enqueue_import(name, now=True)
		finally:
			gateways.after_confirm = after_confirm
		r = self.result(name)
		self.assertEqual(r.status, "Failed")
		self.assertIn("worker lost", r.error)
		# the first batch stays credited, the second was rolled back whole
		self.assertEqual(
			frappe.db.count("CC Bank Statement Line", {"statement_import": name, "decision": "Credited"}), 3
		)
		self.assertEqual(frappe.db.count("CC Credit Ledger Entry", {"source_name": ("like", f"{name}-%")}), 3)
		for account in accounts:
			balance, total = credit.ledger_sum(account)
			self.assertEqual(balance, total)
		# run again: the rest is credited, nothing twice
		bank.enqueue_import(name, now=True)
		r = self.result(name)
		self.assertEqual(
			(r.status, r.lines_total, r.credited, r.duplicates, r.to_decide), ("Done", 14, 8, 0, 6)
		)
		entries = frappe.get_all(
			"CC Credit Ledger Entry", filters={"source_name": ("like", f"{name}-%")}, pluck="idempotency_key"
		)
		self.assertEqual(len(entries), 8)
		self.assertEqual(len(set(entries)), 8)
		self.assertEqual(
			frappe.db.count("CC Top Up", {"account": ("in", accounts), "status": "Confirmed"}), 8
		)
		for account in accounts:
			balance, total = credit.ledger_sum(account)
			self.assertEqual(balance, total)
		self.assertEqual(
			sum(credit.ledger_sum(a)[0] for a in accounts), -700 + 2 * (1000 + 2000 + 3000 + 4000) + 4 * 7
		)

	def test_an_import_left_processing_by_a_dead_worker_runs_again(self):
		accounts, csv = self.fixture("D", CUSTOMERS[2:])
		name = self.statement(csv, "DE00BULK7")
		doc = frappe.get_doc("CC Bank Statement Import", name)
		bank.store_lines(doc, bank.parse_file(doc), doc.bank_account)
		bank.BATCH = 3
		self.assertEqual(bank.credit_lines(name), 8)  # three batches committed …
		frappe.db.sql(
			"update `tabCC Bank Statement Line` set decision=null, ledger_entry=null"
			" where statement_import=%s and name=(select max(name) from (select name from"
			" `tabCC Bank Statement Line` where statement_import=%s and decision='Credited') x)",
			(name, name),
		)  # … and the worker died before the last line was marked: its entry and top-up stand
		frappe.db.set_value("CC Bank Statement Import", name, "status", "Processing")
		frappe.db.commit()
		bank.enqueue_import(name, now=True)  # no job of it is queued or running: it may run again
		r = self.result(name)
		self.assertEqual((r.status, r.credited, r.to_decide), ("Done", 8, 6))
		self.assertEqual(frappe.db.count("CC Credit Ledger Entry", {"source_name": ("like", f"{name}-%")}), 8)
		for account in accounts:
			balance, total = credit.ledger_sum(account)
			self.assertEqual(balance, total)

	def test_a_key_the_plan_did_not_see_goes_the_per_entry_way(self):
		"""The unique key holds in the bulk INSERT: a key committed after the plan's read makes it fail,
		the savepoint undoes it, and the per-entry path credits (here: replays) once."""
		accounts, csv = self.fixture("K", CUSTOMERS[2:])
		name = self.statement(csv, "DE00BULK5")
		doc = frappe.get_doc("CC Bank Statement Import", name)
		bank.store_lines(doc, bank.parse_file(doc), doc.bank_account)
		line = frappe.get_all(
			"CC Bank Statement Line",
			filters={"statement_import": name, "match_status": "Matched"},
			fields=["name", "line_key", "amount_minor", "top_up"],
			order_by="name",
			limit=1,
		)[0]
		# the key posted (same posting, by hand), and the plan made blind to it
		account = frappe.db.get_value("CC Top Up", line.top_up, "account")
		manual = credit.post_entry(
			account, "Top-up", line.amount_minor, "CC Bank Statement Line", line.name, line.line_key
		)
		frappe.db.commit()
		real_plan = bulk.plan
		bulk.plan = lambda credits, top_ups, accounts, known: real_plan(credits, top_ups, accounts, ())
		try:
			self.assertEqual(bank.credit_lines(name), 8)
		finally:
			bulk.plan = real_plan
		self.assertEqual(
			frappe.db.get_value("CC Bank Statement Line", line.name, "ledger_entry"), manual.name
		)
		self.assertEqual(frappe.db.count("CC Credit Ledger Entry", {"idempotency_key": line.line_key}), 1)
		self.assertEqual(frappe.db.count("CC Credit Ledger Entry", {"source_name": ("like", f"{name}-%")}), 8)
		for account in accounts:
			balance, total = credit.ledger_sum(account)
			self.assertEqual(balance, total)


class TestBulkAgainstAHandConfirmation(BulkCase):
	def test_a_top_up_confirmed_by_hand_during_the_import_is_credited_once(self):
		"""A top-up confirmed by hand (its row and account locked, not committed yet) while the import
		credits: the import waits on the row, then lists its line as Over; no deadlock, one credit."""
		accounts, csv = self.fixture("H", CUSTOMERS[2:])
		name = self.statement(csv, "DE00BULK6")
		doc = frappe.get_doc("CC Bank Statement Import", name)
		bank.store_lines(doc, bank.parse_file(doc), doc.bank_account)
		target = frappe.get_all(
			"CC Bank Statement Line",
			filters={"statement_import": name, "match_status": "Matched"},
			fields=["name", "top_up", "amount_minor"],
			order_by="name desc",
			limit=1,
		)[0]
		site, sites_path = frappe.local.site, frappe.local.sites_path
		locked, release, errors, held = threading.Event(), threading.Event(), [], {}

		def by_hand():
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				frappe.set_user("Administrator")
				entry = credit.confirm_top_up(
					target.top_up, target.amount_minor, ("CC Top Up", target.top_up), "manual:bulk-hand"
				)
				held["entry"] = entry.name
				locked.set()
				release.wait(30)
				frappe.db.commit()
			except Exception as e:
				errors.append(repr(e))
				locked.set()
				frappe.db.rollback()
			finally:
				frappe.destroy()

		worker = threading.Thread(target=by_hand)
		worker.start()
		self.assertTrue(locked.wait(30))
		timer = threading.Timer(1.5, release.set)  # the import blocks on the top-up until the commit
		timer.start()
		started = time.monotonic()
		credited = bank.credit_lines(name)
		waited = time.monotonic() - started
		worker.join(60)
		timer.cancel()
		self.assertEqual(errors, [])
		self.assertEqual(credited, 7)
		self.assertGreater(waited, 1.0)  # it waited for the hand confirmation's commit
		frappe.db.commit()
		row = frappe.db.get_value(
			"CC Bank Statement Line", target.name, ["match_status", "decision", "reason"], as_dict=True
		)
		self.assertEqual((row.match_status, row.decision), ("Over", None))
		self.assertIn(held["entry"], row.reason)
		self.assertEqual(frappe.db.get_value("CC Top Up", target.top_up, "ledger_entry"), held["entry"])
		self.assertEqual(frappe.db.count("CC Credit Ledger Entry", {"source_name": ("like", f"{name}-%")}), 7)
		for account in accounts:
			balance, total = credit.ledger_sum(account)
			self.assertEqual(balance, total)


TRICKY = (
	"tab\there",
	"new\nline",
	"back\\slash \\N \\t",
	"quote ' \" `",
	"Grüße 💶",
	"",
	None,
	"\\",
)


class TestLineStorage(BulkCase):
	"""The lines stored by multi-row INSERTs and by LOAD DATA LOCAL INFILE (when the site turns Frappe's
	local_infile on) read back the same; with LOAD DATA a duplicate key fails instead of skipping the row."""

	def rows(self, tag: str) -> list[tuple]:
		now, day = frappe.utils.now_datetime(), frappe.utils.getdate("2026-12-04")
		return [
			(
				f"BSI-{tag}-{i:06d}",
				f"BSI-{tag}",
				f"L{i}",
				f"bank:DE00BULK{tag}:L{i}",
				day,
				100 + i,
				"EUR",
				text,
				text,
				"Unmatched",
				None,
				None,
				text,
				None,
				None,
				"Administrator",
				"Administrator",
				now,
				now,
				0,
			)
			for i, text in enumerate(TRICKY)
		]

	def stored(self, tag: str) -> list[tuple]:
		return [
			tuple(r)[1:]
			for r in frappe.db.sql(
				"select name, line_id, line_key, booking_date, amount_minor, counterparty, remittance, reason"
				" from `tabCC Bank Statement Line` where statement_import=%s order by name",
				(f"BSI-{tag}",),
			)
		]

	def reconnect(self, local_infile: bool):
		frappe.db.commit()
		frappe.db.close()
		if local_infile:
			frappe.local.conf.local_infile = 1
		else:
			frappe.local.conf.pop("local_infile", None)
		frappe.connect()
		frappe.set_user("Administrator")

	def tearDown(self):
		if frappe.conf.get("local_infile"):
			self.reconnect(False)
		for tag in ("XI", "XL"):
			frappe.db.delete("CC Bank Statement Line", {"statement_import": f"BSI-{tag}"})
		frappe.db.commit()
		super().tearDown()

	def test_insert_and_load_data_store_the_same(self):
		bank.insert_lines(self.rows("XI"))
		frappe.db.commit()
		by_insert = self.stored("XI")
		self.assertEqual([r[5] for r in by_insert], list(TRICKY))  # the counterparty, as given
		self.reconnect(True)
		try:
			bank.insert_lines(self.rows("XL"))
		except frappe.db.OperationalError as e:  # the server refuses LOCAL: say so, do not pass silently
			self.fail(f"LOAD DATA LOCAL refused by this server: {e}")
		frappe.db.commit()
		by_load = self.stored("XL")
		self.assertEqual(
			[(r[0], *r[2:]) for r in by_load],
			[(r[0], *r[2:]) for r in by_insert],
		)
		# a line key stored before: LOAD DATA would skip the row with a warning; the import fails instead
		again = self.rows("XL")
		again = [(f"BSI-XL-9{i:05d}", *row[1:]) for i, row in enumerate(again[:2])]
		with self.assertRaisesRegex(frappe.ValidationError, "0 of 2 stored by LOAD DATA"):
			bank.insert_lines(again)
		frappe.db.rollback()
		self.assertEqual(len(self.stored("XL")), len(TRICKY))
