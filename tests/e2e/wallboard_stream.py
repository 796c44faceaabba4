"""Feed a site's wallboard through the AMI bridge's own glue, for a browser to watch (not a pytest module).

	cd frappe-bench/sites && ../env/bin/python PATH/tests/e2e/wallboard_stream.py SITE [--seconds 60] [--rate 100] [--seed-data]

``--seed-data`` first makes three call queues, twelve agents with SIP accounts (logged in, in various work
modes) and a campaign with a call list, agents named ``wb-…``. Then, for ``--seconds``, AMI events
as Asterisk sends them (QueueCallerJoin, QueueCallerLeave, AgentConnect, AgentComplete) at ``--rate`` a
second go through ``telephony.notices.service.publish_notices`` (the bridge's ``notify``: the same
``{"kind": "wallboard"}`` notices ``Bridge.on_event`` makes with ``metrics.wallboard.from_ami``), and the
finished calls go through ``telephony.call_logs.service.write_call_logs`` (the bridge's ``write``), each in batches
from a worker thread with its own site connection, as the bridge does. This process's wallboard pump
publishes to the ``doctype:CC Wallboard Settings`` room at most once a second; it prints how often it did.
"""

from __future__ import annotations

import argparse
import random
import threading
import time

import frappe

QUEUES = ("support", "sales", "billing")
MODES = ("Available", "Available", "Available", "Available", "Phone only", "Break", "Back office")


def seed() -> list[str]:
	from callcenter_app.telephony.presence.service import set_presence
	from callcenter_app.test_utils import make_agent, make_call_queue, make_campaign, make_campaign_contact

	names = ["Ann", "Bob", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jana", "Kai", "Lea"]
	users = []
	for name in names:
		user = make_agent(f"wb-{name.lower()}@example.com", sip_account=f"wb-{name.lower()}")
		frappe.db.set_value("HD Agent", user, "agent_name", name)
		users.append(user)
	for q, queue in enumerate(QUEUES):
		make_call_queue(queue, [(u, 0, i) for i, u in enumerate(users) if i % 3 == q or i < 4])
	for i, user in enumerate(users[:-1]):  # the last one stays logged out
		set_presence(user, True, MODES[i % len(MODES)], source="System")
	campaign = make_campaign("WB Spring Renewals")
	for i in range(40):
		status = "Completed" if i < 17 else ("Closed" if i < 22 else "New")
		make_campaign_contact(campaign, f"+3706000{i:04d}", status=status)
	frappe.db.commit()
	return users


def stream(site: str, seconds: float, rate: float) -> None:
	from callcenter_app.metrics.service import wallboard_pump
	from callcenter_app.metrics.wallboard import from_ami
	from callcenter_app.telephony.ami.service import on_site
	from callcenter_app.telephony.call_logs.service import write_call_logs
	from callcenter_app.telephony.notices.service import publish_notices

	notify, write = on_site(site, ".")(publish_notices), on_site(site, ".")(write_call_logs)
	taking = {  # agents in a mode that receives calls: Asterisk rings only them (the others are paused)
		a.user
		for a in frappe.get_all("HD Agent", filters={"cc_logged_in": 1}, fields=["user", "cc_work_mode"])
		if frappe.db.get_value("CC Work Mode", a.cc_work_mode, "receives_calls")
	}
	interfaces = [
		f"PJSIP/{a.name}"
		for a in frappe.get_all("CC SIP Account", filters={"name": ["like", "wb-%"]}, fields=["name", "user"])
		if a.user in taking
	]
	rnd = random.Random(7)
	waiting: list[tuple[str, str, float]] = []  # queue, uniqueid, joined
	talking: dict[str, tuple[str, str, float, float]] = {}  # interface → queue, uniqueid, joined, answered
	pending: list[dict] = []
	records: list[dict] = []
	lock = threading.Lock()
	stop = threading.Event()

	def drain(queue: list, door) -> None:  # the bridge's notify loop, and its writer: a thread each
		while not stop.is_set() or queue:
			with lock:
				batch = queue[:]
				queue.clear()
			if batch:
				door(batch)
			time.sleep(0.05)

	threads = [
		threading.Thread(target=drain, args=(pending, notify)),
		threading.Thread(target=drain, args=(records, write)),
	]
	for thread in threads:
		thread.start()
	n, uid, t0 = 0, int(time.time() * 1000), time.monotonic()
	while time.monotonic() - t0 < seconds:
		now = time.time()
		r = rnd.random()
		events, finished = [], None
		if (r < 0.45 and len(waiting) < 14) or not waiting:
			uid += 1
			queue = rnd.choices(QUEUES, (5, 3, 1))[0]
			waiting.append((queue, f"{uid}.1", now))
			events.append(
				{
					"Event": "QueueCallerJoin",
					"Queue": queue,
					"Uniqueid": f"{uid}.1",
					"Timestamp": f"{now:.6f}",
				}
			)
		elif r < 0.75:
			queue, id_, joined = waiting.pop(rnd.randrange(len(waiting)))
			free = [i for i in interfaces if i not in talking]
			events.append(
				{"Event": "QueueCallerLeave", "Queue": queue, "Uniqueid": id_, "Timestamp": f"{now:.6f}"}
			)
			if free and rnd.random() < 0.85:
				interface = rnd.choice(free)
				talking[interface] = (queue, id_, joined, now)
				events.append(
					{
						"Event": "AgentConnect",
						"Interface": interface,
						"Queue": queue,
						"Timestamp": f"{now:.6f}",
					}
				)
			else:  # the caller gave up
				finished = (id_, queue, joined, None, "abandoned")
		elif talking:
			interface = rnd.choice(sorted(talking))
			queue, id_, joined, answered = talking.pop(interface)
			events.append(
				{"Event": "AgentComplete", "Interface": interface, "Queue": queue, "Timestamp": f"{now:.6f}"}
			)
			finished = (id_, queue, joined, answered, "answered")
		notices = [{"kind": "wallboard", "event": e} for ev in events if (e := from_ami(ev, now))]
		with lock:
			pending.extend(notices)
			if finished:
				id_, queue, joined, answered, status = finished
				records.append(
					{
						"linkedid": f"wb-{id_}",
						"direction": "inbound",
						"status": status,
						"caller": f"+3706{rnd.randrange(10**7):07d}",
						"queue": queue,
						"queue_result": "connected" if status == "answered" else "abandon",
						"start": joined,
						"answered_at": answered,
						"end": now,
						"wait_s": int((answered or now) - joined),
						"talk_s": int(now - answered) if answered else None,
						"legs": [],
						"complete": True,
					}
				)
		n += 1
		time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
	fed = time.monotonic() - t0
	stop.set()
	for thread in threads:
		thread.join()
	time.sleep(1.5)
	pump = wallboard_pump()
	elapsed = time.monotonic() - t0
	print(
		f"{n} events in {fed:.1f} s ({n / fed:.0f}/s), all written after {elapsed:.1f} s: "
		f"{pump.throttle.published} publishes ({pump.throttle.published / elapsed:.2f}/s), {pump.errors} errors"
	)


def main() -> None:
	p = argparse.ArgumentParser()
	p.add_argument("site")
	p.add_argument("--seconds", type=float, default=60)
	p.add_argument("--rate", type=float, default=100)
	p.add_argument("--seed-data", action="store_true")
	args = p.parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		if args.seed_data:
			seed()
		stream(args.site, args.seconds, args.rate)
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
