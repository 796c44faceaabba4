"""Build a RouteSet from records shaped like the CC doctypes (plain dicts, as ``doc.as_dict()`` gives).

Pure, so the mapping between the desk's forms and the evaluator's model is tested without Frappe; the
Frappe glue (``telephony/routing/service.py``) only fetches the records.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping

from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import normalize, try_normalize
from callcenter_app.telephony.routing.model import (
	WEEKDAYS,
	Announcement,
	HolidayList,
	IvrMenu,
	Node,
	Queue,
	Route,
	RouteSet,
	TimeBlock,
	TimeCondition,
	VipList,
)

# CC Route Node.node_type (what the desk shows) → the evaluator's node type, and the field with its parameter
NODE_TYPES = {
	"Time Condition": ("time_condition", "time_condition"),
	"Holiday": ("holiday", "holiday_list"),
	"VIP": ("vip", "vip_list"),
	"IVR Menu": ("ivr", "ivr_menu"),
	"Announcement": ("announcement", "announcement"),
	"Queue": ("queue", "queue"),
	"Forward": ("forward", "number"),
	"Voicemail": ("voicemail", "mailbox"),
	"Hang Up": ("hangup", None),
	"Go to Route": ("goto_route", "target_route"),
}
# the evaluator's parameter name for each node type (see model.NODE_TYPES)
_MODEL_PARAM = {
	"time_condition": "time_condition",
	"holiday": "holiday_list",
	"vip": "vip_list",
	"ivr": "ivr_menu",
	"announcement": "announcement",
	"queue": "queue",
	"forward": "number",
	"voicemail": "mailbox",
	"goto_route": "route",
}


def sound_name(announcement_name: str) -> str:
	"""The name Asterisk plays an announcement by: ``custom/cc-<slug>``."""
	slug = re.sub(r"[^a-z0-9]+", "-", announcement_name.lower()).strip("-") or "announcement"
	return f"custom/cc-{slug}"


def minutes(value) -> int:
	"""A Time field ('09:30:00', a timedelta or a time) → minutes from midnight; 23:59 and later → 1440."""
	if isinstance(value, dt.timedelta):
		total = int(value.total_seconds()) // 60
	elif isinstance(value, dt.time):
		total = value.hour * 60 + value.minute
	else:
		parts = str(value or "").split(":")
		if len(parts) < 2 or not all(p.split(".")[0].isdigit() for p in parts):
			raise ValueError(f"{value!r} is not a time of day")
		total = int(parts[0]) * 60 + int(parts[1])
	return 1440 if total >= 23 * 60 + 59 else total


def forward_number(value, default_region: str | None = None) -> str:
	"""A forward node's number as it is dialled: E.164 (or an extension); text that is not a phone number
	is returned trimmed, for validation to refuse with the node's name."""
	text = str(value or "").strip()
	return try_normalize(text, default_region) or text


def route_from_record(record: Mapping, default_region: str | None = None) -> Route:
	nodes = []
	branches: dict[str, dict[str, str]] = {}
	for row in record.get("branches") or []:
		branches.setdefault(row.get("from_node") or "", {})[str(row.get("branch") or "").strip()] = (
			row.get("to_node") or ""
		)
	for row in record.get("nodes") or []:
		kind, field = NODE_TYPES.get(row.get("node_type") or "", (row.get("node_type") or "", None))
		params = {}
		if field and row.get(field) not in (None, ""):
			params[_MODEL_PARAM[kind]] = str(row.get(field)).strip()
			if kind == "forward":
				params["number"] = forward_number(params["number"], default_region)
		if row.get("timeout"):
			params["timeout"] = int(row["timeout"])
		node_id = (row.get("node_id") or "").strip()
		nodes.append(Node(node_id, kind, row.get("label") or "", params, branches.get(node_id, {})))
	route = Route.of(
		record.get("route_name") or record.get("name") or "", (record.get("start_node") or "").strip(), nodes
	)
	return route


def unknown_branch_sources(record: Mapping) -> list[FieldError]:
	"""Branch rows whose 'From Node' is not a node of the route (they would be silently ignored)."""
	ids = {(row.get("node_id") or "").strip() for row in record.get("nodes") or []}
	return [
		FieldError(
			f"route {record.get('route_name')}, branch row {i}",
			f"from node {row.get('from_node')!r} is not one of the route's nodes",
		)
		for i, row in enumerate(record.get("branches") or [], 1)
		if (row.get("from_node") or "") not in ids
	]


def plain_text(value: str | None) -> str:
	return html.unescape(re.sub(r"<[^>]+>", " ", value or "")).strip() or "holiday"


def build_routeset(
	*,
	routes: Iterable[Mapping] = (),
	numbers: Iterable[Mapping] = (),
	time_conditions: Iterable[Mapping] = (),
	holiday_lists: Iterable[Mapping] = (),
	vip_lists: Iterable[Mapping] = (),
	ivr_menus: Iterable[Mapping] = (),
	announcements: Iterable[Mapping] = (),
	queues: Iterable[Mapping] = (),
	timezone: str = "UTC",
	default_region: str | None = None,
) -> RouteSet:
	"""Records → RouteSet. Disabled routes are left out; so are numbers without voice or without a route."""
	sounds = {a["name"]: a.get("sound_name") or sound_name(a["name"]) for a in announcements}
	vips = {}
	for v in vip_lists:
		numbers_ = set()
		for i, row in enumerate(v.get("numbers") or [], 1):
			numbers_.add(
				normalize(str(row.get("number") or ""), default_region, field=f"{v['name']} row {i}")
			)
		vips[v["name"]] = VipList(v["name"], frozenset(numbers_))
	dids = {}
	for n in numbers:
		if n.get("voice", 1) and n.get("route"):
			dids[normalize(n.get("number") or n["name"], default_region, field="number")] = n["route"]
	return RouteSet(
		routes={
			r.name: r
			for r in (route_from_record(rec, default_region) for rec in routes if rec.get("enabled", 1))
		},
		numbers=dids,
		time_conditions={
			t["name"]: TimeCondition(
				t["name"],
				t.get("timezone") or timezone,
				tuple(
					TimeBlock(WEEKDAYS.index(b["weekday"]), minutes(b["from_time"]), minutes(b["to_time"]))
					for b in t.get("blocks") or []
				),
				t.get("holiday_list") or None,
			)
			for t in time_conditions
		},
		holiday_lists={
			h["name"]: HolidayList(
				h["name"],
				{
					_date(row["holiday_date"]): plain_text(row.get("description"))
					for row in h.get("holidays") or []
				},
			)
			for h in holiday_lists
		},
		vip_lists=vips,
		ivr_menus={
			m["name"]: IvrMenu(
				m["name"],
				sounds.get(m.get("prompt"), sound_name(m.get("prompt") or "")),
				int(m.get("timeout") or 5),
				int(m.get("retries") if m.get("retries") is not None else 2),
				int(m.get("max_digits") or 1),
				sounds.get(m["invalid_prompt"]) if m.get("invalid_prompt") else None,
				sounds.get(m["timeout_prompt"]) if m.get("timeout_prompt") else None,
			)
			for m in ivr_menus
		},
		announcements={name: Announcement(name, sound) for name, sound in sounds.items()},
		queues={q["name"]: Queue(q["name"], int(q.get("max_wait") or 300)) for q in queues},
		timezone=timezone,
		default_region=default_region,
	)


def _date(value) -> dt.date:
	return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# --- RouteSet → records (routes JSON import) -----------------------------------------------------------------
_DESK_TYPE = {kind: desk for desk, (kind, _field) in NODE_TYPES.items()}
_DESK_FIELD = {kind: fld for _desk, (kind, fld) in NODE_TYPES.items()}


def _time(minute: int) -> str:
	return "23:59:00" if minute >= 1440 else f"{minute // 60:02d}:{minute % 60:02d}:00"


def records_from_routeset(
	routes: RouteSet, announcements_by_sound: Mapping[str, str], existing_announcements: Iterable[str]
) -> tuple[dict[str, list[dict]], list[FieldError]]:
	"""The doctype records a RouteSet becomes, keyed by doctype, in the order they must be written.

	Audio cannot travel in the JSON, so announcements are not created: each one the routes use must already
	exist here by name, and IVR prompts (sound files in the JSON) must be the sound of an announcement here.
	The errors name every one that is missing; nothing should be written when there are any.
	"""
	errors: list[FieldError] = []
	existing = set(existing_announcements)
	sound_of = dict(announcements_by_sound)
	for a in routes.announcements.values():
		if a.name not in existing:
			errors.append(
				FieldError(
					f"announcement {a.name}",
					"does not exist here; upload its audio as a CC Announcement first",
				)
			)
		else:
			sound_of.setdefault(a.file, a.name)

	def prompt(menu: str, what: str, sound: str | None) -> str | None:
		if not sound:
			return None
		name = sound_of.get(sound)
		if name is None:
			errors.append(
				FieldError(f"IVR menu {menu} {what}", f"{sound} is not the sound of any CC Announcement here")
			)
		return name

	out: dict[str, list[dict]] = {
		"HD Service Holiday List": [
			{
				"holiday_list_name": h.name,
				"from_date": min(h.holidays).isoformat() if h.holidays else f"{dt.date.today().year}-01-01",
				"to_date": max(h.holidays).isoformat() if h.holidays else f"{dt.date.today().year}-12-31",
				"holidays": [
					{"holiday_date": d.isoformat(), "description": html.escape(text)}
					for d, text in sorted(h.holidays.items())
				],
			}
			for h in routes.holiday_lists.values()
		],
		"CC Time Condition": [
			{
				"condition_name": t.name,
				"timezone": t.timezone,
				"holiday_list": t.holiday_list,
				"blocks": [
					{"weekday": WEEKDAYS[b.weekday], "from_time": _time(b.start), "to_time": _time(b.end)}
					for b in t.blocks
				],
			}
			for t in routes.time_conditions.values()
		],
		"CC VIP List": [
			{"list_name": v.name, "numbers": [{"number": n} for n in sorted(v.numbers)]}
			for v in routes.vip_lists.values()
		],
		"CC IVR Menu": [
			{
				"menu_name": m.name,
				"prompt": prompt(m.name, "prompt", m.prompt),
				"invalid_prompt": prompt(m.name, "invalid prompt", m.invalid_prompt),
				"timeout_prompt": prompt(m.name, "timeout prompt", m.timeout_prompt),
				"timeout": m.timeout,
				"retries": m.retries,
				"max_digits": m.max_digits,
			}
			for m in routes.ivr_menus.values()
		],
		"CC Call Queue": [{"queue_name": q.name, "max_wait": q.max_wait} for q in routes.queues.values()],
		"CC Route": [
			{
				"route_name": r.name,
				"enabled": 1,
				"start_node": r.start,
				"nodes": [
					{
						"node_id": n.id,
						"node_type": _DESK_TYPE[n.type],
						"label": n.label or None,
						**({_DESK_FIELD[n.type]: n.param()} if _DESK_FIELD[n.type] else {}),
						"timeout": n.params.get("timeout"),
					}
					for n in r.nodes.values()
				],
				"branches": [
					{"from_node": n.id, "branch": b, "to_node": to}
					for n in r.nodes.values()
					for b, to in n.branches.items()
				],
			}
			for r in routes.routes.values()
		],
		"CC Phone Number": [
			{"number": number, "route": route, "voice": 1} for number, route in sorted(routes.numbers.items())
		],
	}
	return out, errors
