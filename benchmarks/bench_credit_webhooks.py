"""Ledger posts and Stripe webhooks on a real bench: ``--posts`` ledger entries through
``credit.service.post_entry`` (one account, then spread over ``--threads`` accounts, one connection per
thread), and ``--webhooks`` signed checkout.session.completed events through
``gateways.service.receive_stripe`` (verify with the SDK, keep raw, claim, credit), serially and from
``--threads`` threads, with every event delivered twice (the second must be a duplicate).

Run from the bench's sites folder with the bench's Python and the worktree first on the path:

    cd ~/frappe-bench/sites && PYTHONPATH=/path/to/worktree ../env/bin/python \
        /path/to/worktree/benchmarks/bench_credit_webhooks.py --site SITE --posts 2000 --webhooks 500 --threads 4

Everything it made is deleted at the end (its accounts, top-ups, entries and payment events).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gateway_peer import stripe_session_event, stripe_signature

SECRET = "whsec_bench_credit_webhooks"


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--posts", type=int, default=2000)
	parser.add_argument("--webhooks", type=int, default=500)
	parser.add_argument("--threads", type=int, default=4)
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from callcenter_app.credit import service as credit
	from callcenter_app.credit.gateways import service as gateways

	site, sites_path = frappe.local.site, frappe.local.sites_path
	accounts = []

	def account(i: int) -> str:
		customer = f"Bench Credit {i}"
		if not frappe.db.exists("HD Customer", customer):
			frappe.get_doc({"doctype": "HD Customer", "customer_name": customer}).insert(
				ignore_permissions=True
			)
		name = frappe.db.get_value("CC Credit Account", {"customer": customer}, "name") or (
			frappe.get_doc({"doctype": "CC Credit Account", "customer": customer, "currency": "EUR"})
			.insert(ignore_permissions=True)
			.name
		)
		accounts.append(name)
		return name

	def in_threads(work, parts):
		errors = []

		def run(part):
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				frappe.set_user("Administrator")
				work(part)
			except Exception as e:
				errors.append(repr(e))
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=run, args=(p,)) for p in parts]
		started = time.perf_counter()
		for t in threads:
			t.start()
		for t in threads:
			t.join()
		assert not errors, errors[:3]
		return time.perf_counter() - started

	settings = frappe.get_single("CC Payment Settings")
	saved_secret = settings.get_password("stripe_webhook_secret", raise_exception=False)
	settings.stripe_webhook_secret = SECRET
	settings.webhook_tolerance_s = settings.webhook_tolerance_s or 300
	settings.save(ignore_permissions=True)
	frappe.db.commit()
	try:
		one = account(0)
		frappe.db.commit()
		started = time.perf_counter()
		for i in range(args.posts):
			credit.post_entry(one, "Top-up", 100, None, None, f"manual:bench-serial-{i}")
			frappe.db.commit()
		serial = time.perf_counter() - started
		print(
			f"post_entry, one account, serial: {args.posts} in {serial:.2f} s = {args.posts / serial:,.0f}/s"
		)

		spread = [account(i + 1) for i in range(args.threads)]
		frappe.db.commit()
		per = args.posts // args.threads

		def post_many(acc):
			for i in range(per):
				credit.post_entry(acc, "Top-up", 100, None, None, f"manual:bench-{acc}-{i}")
				frappe.db.commit()

		took = in_threads(post_many, spread)
		print(
			f"post_entry, {args.threads} accounts x 1 thread: {per * args.threads} in {took:.2f} s = {per * args.threads / took:,.0f}/s"
		)
		for acc in [one, *spread]:
			balance, total = credit.ledger_sum(acc)
			assert balance == total, (acc, balance, total)

		# webhooks: one top-up per event
		payloads = []
		for i in range(args.webhooks):
			session = {
				"id": f"cs_bench_{i:06d}",
				"object": "checkout.session",
				"amount_total": 2500,
				"currency": "eur",
			}
			top_up = frappe.get_doc(
				{
					"doctype": "CC Top Up",
					"account": one,
					"method": "Stripe",
					"status": "Pending",
					"amount_minor": 2500,
					"currency": "EUR",
					"gateway_order_id": session["id"],
				}
			).insert(ignore_permissions=True)
			session["client_reference_id"] = top_up.name
			payloads.append(stripe_session_event(session, event_id=f"evt_bench_{top_up.name}"))
		frappe.db.commit()
		half = args.webhooks // 2
		started = time.perf_counter()
		for p in payloads[:half]:
			status, body = gateways.receive_stripe(p, stripe_signature(p, SECRET))
			assert status == 200 and body["status"] == "Processed", body
		took = time.perf_counter() - started
		print(
			f"Stripe webhook (verify, keep, claim, credit), serial: {half} in {took:.2f} s = {half / took:,.0f}/s"
		)
		rest = payloads[half:]
		chunks = [rest[i :: args.threads] for i in range(args.threads)]

		def deliver(chunk):
			for p in chunk:
				for _ in range(2):  # each twice: the second is a duplicate
					status, _body = gateways.receive_stripe(p, stripe_signature(p, SECRET))
					assert status == 200

		took = in_threads(deliver, chunks)
		print(
			f"Stripe webhooks, {args.threads} threads, each delivered twice: {2 * len(rest)} in {took:.2f} s = "
			f"{2 * len(rest) / took:,.0f}/s"
		)
		frappe.db.commit()
		credited = frappe.db.count("CC Top Up", {"account": one, "status": "Confirmed"})
		balance, total = credit.ledger_sum(one)
		assert credited == args.webhooks and balance == total, (credited, balance, total)
		print(f"top-ups credited once each: {credited}; balance == sum of entries: {balance == total}")
	finally:
		frappe.db.rollback()
		for acc in accounts:
			tops = frappe.get_all("CC Top Up", filters={"account": acc}, pluck="name")
			if tops:
				frappe.db.delete("CC Payment Event", {"top_up": ["in", tops]})
			frappe.db.delete("CC Credit Ledger Entry", {"account": acc})
			frappe.db.delete("CC Top Up", {"account": acc})
			frappe.db.delete("CC Credit Account", {"name": acc})
		settings = frappe.get_single("CC Payment Settings")
		settings.stripe_webhook_secret = saved_secret or ""
		settings.save(ignore_permissions=True)
		frappe.db.commit()
		frappe.destroy()


if __name__ == "__main__":
	main()
