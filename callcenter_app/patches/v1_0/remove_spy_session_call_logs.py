"""Until 2026-12-04 a supervisor's listen / whisper / barge session (the desk's spy Originate into
cc-supervisor, a call of its own) was logged as an inbound missed CC Call Log: caller ``listen`` (or
``whisper``, ``barge``), caller name ``Listen <agent>``, no queue, no agent. They swelled the missed-call
counts; the AMI bridge no longer writes them (telephony/ami/calls.py). This removes those left on the site —
only the ones no ticket was made from (a ticket an agent may have worked on stays, and so does its log)."""

import frappe

MODES = ("listen", "whisper", "barge")


def spy_session_logs() -> list[str]:
	names = []
	for mode in MODES:
		names += frappe.get_all(
			"CC Call Log",
			filters={
				"caller": mode,
				"caller_name": ["like", f"{mode.title()} %"],
				"direction": "inbound",
				"status": "missed",
				"queue": ["is", "not set"],
				"agent_interface": ["is", "not set"],
				"ticket": ["is", "not set"],
			},
			pluck="name",
		)
	return names


def execute():
	names = spy_session_logs()
	for name in names:
		frappe.delete_doc("CC Call Log", name, force=True, ignore_permissions=True, delete_permanently=True)
	if names:
		print(f"removed {len(names)} CC Call Log(s) of supervisors' listening sessions")
