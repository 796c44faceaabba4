"""Audit trail: every configuration doctype keeps Frappe's Version history (``track_changes``), so who changed
a route, a queue, a campaign or a setting, and what, is on the record's timeline. Child tables (route nodes,
queue members, filter rules, status rules, time blocks) are tracked through their parent's Version."""

from __future__ import annotations

import json
import pathlib

APP = pathlib.Path(__file__).resolve().parents[1] / "callcenter_app"

# Records the system writes at volume (one per call, message or status change): a Version per write would
# double their tables, and nobody configures them. A doctype added later tracks changes unless it is listed
# here with its reason.
NOT_TRACKED = {
	"CC Call Log": "written by the AMI bridge, one per call",
	"CC SMS Message": "written by the SMS webhooks, one per message",
	"CC Agent Status Log": "one period per presence change, written by the presence service",
	"CC Credit Ledger Entry": "the append-only credit ledger: an entry is never changed, corrections are new entries",
	"CC Geocode Cache": "a cache of the geocoder's answers, refilled on demand",
	"CC Payment Event": "the raw store of the payment gateways' webhook events, one per event",
}
# Child tables on Helpdesk's doctypes (custom fields, install.py): their history is Helpdesk's.
HELD_OUTSIDE = {"CC Agent Buffer": "HD Team"}
# The configuration the issue names; they must exist and be tracked (a rename would silently drop one).
CONFIGURATION = {
	"CC Route", "CC Call Queue", "CC Campaign", "CC SIP Account", "CC Settings", "CC SMS Settings",
	"CC Time Condition", "CC IVR Menu", "CC Announcement", "CC Ticket Source", "CC Work Mode", "CC Phone Number",
	"CC VIP List", "CC Outcome", "CC DNC Number", "CC Payment Settings",
}  # fmt: skip


def doctypes() -> dict[str, dict]:
	found = {}
	for path in APP.glob("*/doctype/*/*.json"):
		if path.stem == path.parent.name:
			meta = json.loads(path.read_text())
			if meta.get("doctype") == "DocType":
				found[meta["name"]] = meta
	return found


def test_every_configuration_doctype_tracks_changes():
	metas = doctypes()
	assert CONFIGURATION <= set(metas)
	untracked = sorted(
		name
		for name, meta in metas.items()
		if not meta.get("istable") and not meta.get("track_changes") and name not in NOT_TRACKED
	)
	assert not untracked, f"set track_changes (or list the doctype in NOT_TRACKED with a reason): {untracked}"


def test_child_tables_are_tracked_through_their_parents():
	metas = doctypes()
	parents: dict[str, set[str]] = {}
	for name, meta in metas.items():
		for field in meta.get("fields", []):
			if field.get("fieldtype") in ("Table", "Table MultiSelect") and field.get("options") in metas:
				parents.setdefault(field["options"], set()).add(name)
	children = {name for name, meta in metas.items() if meta.get("istable")}
	assert {"CC Route Node", "CC Call Queue Member", "CC Status Rule", "CC Ticket Filter Rule"} <= children
	for child in children - set(HELD_OUTSIDE):
		assert parents.get(child), f"{child}: a child table no doctype of the app holds"
		for parent in parents[child]:
			assert metas[parent].get("track_changes"), f"{child}: its parent {parent} does not track changes"


def test_exempt_doctypes_exist():
	assert set(NOT_TRACKED) <= set(doctypes())
