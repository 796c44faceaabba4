"""Time per ticket assignment on a real bench: the distribution job end to end (read the queue and the
agents' seats, plan with tickets/distribution.py, assign each ticket through Frappe's assign-to under a row
lock). Everything it creates is rolled back at the end.

Run from the bench's sites folder with the bench's Python:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/callcenter_app/benchmarks/bench_assign_site.py \
        --site SITE --tickets 500 --agents 20 --buffer 30
"""

from __future__ import annotations

import argparse
import sys
import time


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--tickets", type=int, default=500)
	parser.add_argument("--agents", type=int, default=20)
	parser.add_argument("--buffer", type=int, default=30)
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		run(frappe, args)
	finally:
		frappe.db.rollback()
		frappe.destroy()


def run(frappe, args) -> None:
	from callcenter_app.telephony.presence.service import set_presence
	from callcenter_app.tickets import tasks

	t0 = time.perf_counter()
	users = []
	for i in range(args.agents):
		email = f"bench-agent-{i}@assign.bench"
		if not frappe.db.exists("User", email):
			frappe.get_doc(
				{"doctype": "User", "email": email, "first_name": f"Agent {i}", "send_welcome_email": 0}
			).insert(ignore_permissions=True)
		if not frappe.db.exists("HD Agent", email):
			frappe.get_doc({"doctype": "HD Agent", "user": email, "is_active": 1}).insert(
				ignore_permissions=True
			)
		users.append(email)
	team = frappe.get_doc({"doctype": "HD Team", "team_name": "Bench Assign Team"}).insert(
		ignore_permissions=True
	)
	team.reload()
	team.set("users", [{"user": u} for u in users])
	team.cc_distribution = "Automatic"
	team.cc_default_buffer = args.buffer
	team.save(ignore_permissions=True)
	for user in users:
		set_presence(user, True, None)
	print(f"set-up: {args.agents} agents in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

	t0 = time.perf_counter()
	for i in range(args.tickets):
		frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": f"bench ticket {i}",
				"raised_by": f"customer{i}@example.com",
				"agent_group": team.name,
			}
		).insert(ignore_permissions=True)
		if (i + 1) % 100 == 0:
			print(f"  {i + 1} tickets created", file=sys.stderr)
	print(f"created {args.tickets} tickets in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

	t0 = time.perf_counter()
	teams = tasks.distributed_teams()
	queue = tasks.queued_tickets([team.name])
	agents = tasks.agents_for([team.name])
	read_s = time.perf_counter() - t0
	t1 = time.perf_counter()
	done = tasks.distribute_tickets()
	total_s = time.perf_counter() - t1
	expected = min(args.tickets, args.agents * args.buffer)
	print(
		f"queue {len(queue)} tickets, {len(agents)} agents, teams {len(teams)}; read in {read_s * 1000:.0f} ms"
	)
	print(
		f"distribution job: {len(done)} assignments (expected {expected}) in {total_s:.2f} s "
		f"= {total_s / max(len(done), 1) * 1000:.1f} ms per assignment"
	)
	t1 = time.perf_counter()
	again = tasks.distribute_tickets()
	print(
		f"a second pass with nothing left to give: {len(again)} assignments in {(time.perf_counter() - t1) * 1000:.0f} ms"
	)


if __name__ == "__main__":
	main()
