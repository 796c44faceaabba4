"""Site-side helpers for the PBX lab's bench mode (``test_bench_bridge.py``), run inside a Frappe site with
``bench --site SITE execute bench_site.<function> --kwargs '{…}'`` (``tests/e2e`` on PYTHONPATH). Each
function commits what it changes and returns JSON-able values, which ``bench execute`` prints.

This file imports ``frappe``: it is lab tooling for a real bench, never imported by the pure suite or by
the lab itself (the lab talks to it only through ``bench``).
"""

from __future__ import annotations

import time

import frappe

LAB_DOMAIN = "cc-lab.example"
WORK_MODE = "Lab Available"
# the fields of CC Call Log the lab's checks read
CALL_LOG_FIELDS = [
	"name",
	"status",
	"direction",
	"caller",
	"did",
	"route",
	"queue",
	"agent",
	"answered_by",
	"agent_interface",
	"transfers",
	"wait_s",
	"talk_s",
	"duration_s",
	"complete",
	"start",
	"end",
	"recording",
	"campaign",
]


def lab_user(username: str) -> str:
	return f"{username}@{LAB_DOMAIN}"


def setup(
	ami_port: int,
	ami_secret: str,
	accounts: list[dict],
	queues: list[dict],
	tenant_prefix: str | None = None,
	agi_port: int | None = None,
	ami_username: str = "cc",
	recordings_folder: str | None = None,
) -> dict:
	"""Point CC Settings at the lab PBX's AMI and make the lab's agents, SIP accounts and queues on the
	site. ``accounts``: [{username, secret, extension, display_name}]; ``queues``: [{name, strategy,
	members: [username, …]}] (in ring order). Idempotent: run it again and the site matches again.
	``tenant_prefix``, ``agi_port`` (when given) and ``ami_username`` go into the same CC Settings save:
	a site sharing the lab's PBX with another (``test_two_tenants.py``, one AMI user per site), and so does
	``recordings_folder``; a queue with ``record`` true records its calls.

	Every agent gets a User and an HD Agent logged in with a work mode that receives calls, and every
	queue member row names its agent: the bridge reconciles Asterisk's queue members with the logged-in
	agents when it connects, so the site must want the members the lab added."""
	mode = frappe.db.exists("CC Work Mode", WORK_MODE)
	if not mode:
		frappe.get_doc(
			{
				"doctype": "CC Work Mode",
				"mode_name": WORK_MODE,
				"receives_calls": 1,
				"receives_tickets": 1,
				"enabled": 1,
			}
		).insert(ignore_permissions=True)
	else:
		frappe.db.set_value("CC Work Mode", WORK_MODE, {"receives_calls": 1, "enabled": 1})
	for a in accounts:
		user = lab_user(a["username"])
		if not frappe.db.exists("User", user):
			frappe.get_doc(
				{
					"doctype": "User",
					"email": user,
					"first_name": a["display_name"],
					"send_welcome_email": 0,
					"user_type": "System User",
				}
			).insert(ignore_permissions=True)
		if not frappe.db.exists("HD Agent", user):
			frappe.get_doc({"doctype": "HD Agent", "user": user, "agent_name": a["display_name"]}).insert(
				ignore_permissions=True
			)
		frappe.db.set_value("HD Agent", user, {"is_active": 1, "cc_logged_in": 1, "cc_work_mode": WORK_MODE})
		values = {
			"user": user,
			"extension": a["extension"],
			"display_name": a["display_name"],
			"enabled": 1,
			"secret": a["secret"],
		}
		if frappe.db.exists("CC SIP Account", a["username"]):
			doc = frappe.get_doc("CC SIP Account", a["username"])
			doc.update(values)
			doc.save(ignore_permissions=True)
		else:
			frappe.get_doc({"doctype": "CC SIP Account", "username": a["username"], **values}).insert(
				ignore_permissions=True
			)
	for q in queues:
		members = [
			{"agent": lab_user(m), "sip_account": m, "level": 0, "position": i}
			for i, m in enumerate(q["members"])
		]
		if frappe.db.exists("CC Call Queue", q["name"]):
			doc = frappe.get_doc("CC Call Queue", q["name"])
			doc.strategy = q["strategy"]
			doc.record_calls = int(bool(q.get("record")))
			doc.set("members", members)
			doc.save(ignore_permissions=True)
		else:
			frappe.get_doc(
				{
					"doctype": "CC Call Queue",
					"queue_name": q["name"],
					"strategy": q["strategy"],
					"max_wait": 60,
					"ring_timeout": 15,
					"record_calls": int(bool(q.get("record"))),
					"members": members,
				}
			).insert(ignore_permissions=True)
	settings = frappe.get_single("CC Settings")
	settings.update(
		{
			"pbx_enabled": 1,
			"ami_host": "127.0.0.1",
			"ami_port": int(ami_port),
			"ami_username": ami_username,
			"ami_secret": ami_secret,  # the same save as the host/port: the site refuses it otherwise
		}
	)
	if tenant_prefix is not None:
		settings.tenant_prefix = tenant_prefix
	if agi_port is not None:
		settings.agi_bind_address = "127.0.0.1"
		settings.agi_port = int(agi_port)
	if recordings_folder is not None:
		settings.recordings_folder = recordings_folder
	settings.save(ignore_permissions=True)
	frappe.db.commit()
	return {
		"settings": {
			k: settings.get(k)
			for k in ("pbx_enabled", "ami_host", "ami_port", "ami_username")
			+ (("tenant_prefix",) if tenant_prefix is not None else ())
			+ (("agi_port",) if agi_port is not None else ())
		},
		"accounts": frappe.get_all(
			"CC SIP Account",
			filters={"name": ["in", [a["username"] for a in accounts]]},
			fields=["name", "user", "extension"],
			order_by="name",
		),
	}


def call_log(
	caller: str, timeout: float = 25, complete: bool | None = None, settle: float = 0
) -> dict | None:
	"""The CC Call Log of the call from ``caller``, waiting up to ``timeout`` seconds for it (and for
	``complete`` to have that value, when given); then ``settle`` seconds more for later updates."""
	deadline = time.monotonic() + min(float(timeout), 30)
	found = None
	while True:
		frappe.db.rollback()  # a fresh snapshot: the bridge writes from another connection
		rows = frappe.get_all(
			"CC Call Log", filters={"caller": caller}, fields=CALL_LOG_FIELDS, order_by="creation desc"
		)
		if rows and (complete is None or bool(rows[0].complete) == complete):
			found = rows[0]
			break
		if time.monotonic() >= deadline:
			break
		time.sleep(0.5)
	if found is not None and settle:
		time.sleep(min(float(settle), 10))
		frappe.db.rollback()
		found = frappe.get_all("CC Call Log", filters={"name": found.name}, fields=CALL_LOG_FIELDS)[0]
	if found is None:
		return None
	return {k: (v if isinstance(v, (int, float, str)) or v is None else str(v)) for k, v in found.items()}


def recording_of(call_log: str) -> dict:
	"""Where the site's own recording door (``api.telephony.recording_path``, as Administrator) finds the
	call's recording file, or why it refuses."""
	from callcenter_app.api.telephony import recording_path

	frappe.db.rollback()
	try:
		return {"path": recording_path(call_log)}
	except frappe.ValidationError as e:
		return {"error": f"{type(e).__name__}: {e}"}


def pbx_agents(accounts: list[str] | None = None, timeout: float = 20) -> list[dict]:
	"""The PBX Agents report's rows (through the report's own ``execute``); waits up to ``timeout`` s for
	every one of ``accounts`` to show Registered (the bridge fills the registrations when it connects)."""
	execute = frappe.get_attr("callcenter_app.callcenter_app.report.pbx_agents.pbx_agents.execute")
	deadline = time.monotonic() + min(float(timeout), 30)
	while True:
		_columns, rows = execute({})
		registered = {r["sip_account"] for r in rows if r["registration"] == "Registered"}
		if not accounts or set(accounts) <= registered or time.monotonic() >= deadline:
			return [
				{k: (v if v is None or isinstance(v, (int, float, str)) else str(v)) for k, v in r.items()}
				for r in rows
			]
		time.sleep(0.5)


def clear_registrations() -> int:
	"""Forget the registrations the bridge published (the report then shows Unknown until it reconnects)."""
	from callcenter_app.telephony.notices.service import SIP_STATUS_KEY

	before = len(frappe.cache().hgetall(SIP_STATUS_KEY) or {})
	frappe.cache().delete_value(SIP_STATUS_KEY)
	return before


def call_logs_since(since: str) -> list[dict]:
	"""Every CC Call Log created at or after ``since`` (the site's time, ``YYYY-MM-DD HH:MM:SS``)."""
	frappe.db.rollback()
	rows = frappe.get_all(
		"CC Call Log",
		filters={"creation": [">=", since]},
		fields=CALL_LOG_FIELDS,
		order_by="creation",
	)
	return [
		{k: (v if isinstance(v, (int, float, str)) or v is None else str(v)) for k, v in r.items()}
		for r in rows
	]


def now() -> str:
	"""The site's clock (``YYYY-MM-DD HH:MM:SS``): the start of a window for ``call_logs_since``."""
	return str(frappe.utils.now_datetime().replace(microsecond=0))


def presence(username: str, logged_in: bool) -> dict:
	"""The desk's log in / log out of the lab agent ``username`` (``presence.service.set_presence``), committed:
	Asterisk follows after the commit (QueueAdd / QueueRemove through the site's one-shot AMI session)."""
	from callcenter_app.telephony.presence.service import set_presence

	state = set_presence(
		lab_user(username), bool(logged_in), WORK_MODE if logged_in else None, by="Administrator"
	)
	frappe.db.commit()
	return {k: (v if isinstance(v, (int, float, str)) or v is None else str(v)) for k, v in state.items()}


def sync_members() -> dict:
	"""The site's queue-member reconcile over AMI (``presence.service.sync_queue_members``), all queues."""
	from callcenter_app.telephony.presence.service import sync_queue_members

	return sync_queue_members()
