"""Routes as JSON: the export/import format used by the CLI, the AGI server without Frappe, and backups.

The format is documented in ``docs/routes-json.md``. :func:`loads` checks everything and raises a
FieldError naming the place (``routes[0].nodes[2].type``) and the reason; it never returns half a set.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from callcenter_app.common import validators
from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import normalize
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
	hhmm,
	is_queue_name,
	is_sound_name,
	parse_hhmm,
)

FORMAT = "callcenter_app.routes"
VERSION = 1


def dumps(routes: RouteSet) -> str:
	return json.dumps(to_dict(routes), indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def to_dict(routes: RouteSet) -> dict:
	return {
		"format": FORMAT,
		"version": VERSION,
		"timezone": routes.timezone,
		"default_region": routes.default_region,
		"numbers": [{"number": k, "route": v} for k, v in sorted(routes.numbers.items())],
		"routes": [
			{
				"name": r.name,
				"start": r.start,
				"nodes": [
					{"id": n.id, "type": n.type, "label": n.label, **n.params, "branches": dict(n.branches)}
					for n in r.nodes.values()
				],
			}
			for r in routes.routes.values()
		],
		"time_conditions": [
			{
				"name": t.name,
				"timezone": t.timezone,
				"holiday_list": t.holiday_list,
				"blocks": [
					{"day": WEEKDAYS[b.weekday], "start": hhmm(b.start), "end": hhmm(b.end)} for b in t.blocks
				],
			}
			for t in routes.time_conditions.values()
		],
		"holiday_lists": [
			{
				"name": h.name,
				"holidays": [
					{"date": d.isoformat(), "description": s} for d, s in sorted(h.holidays.items())
				],
			}
			for h in routes.holiday_lists.values()
		],
		"vip_lists": [{"name": v.name, "numbers": sorted(v.numbers)} for v in routes.vip_lists.values()],
		"ivr_menus": [
			{
				"name": m.name,
				"prompt": m.prompt,
				"timeout": m.timeout,
				"retries": m.retries,
				"max_digits": m.max_digits,
				"invalid_prompt": m.invalid_prompt,
				"timeout_prompt": m.timeout_prompt,
			}
			for m in routes.ivr_menus.values()
		],
		"announcements": [{"name": a.name, "file": a.file} for a in routes.announcements.values()],
		"queues": [{"name": q.name, "max_wait": q.max_wait} for q in routes.queues.values()],
	}


def loads(text: str) -> RouteSet:
	try:
		data = json.loads(text)
	except json.JSONDecodeError as e:
		raise FieldError("routes file", f"is not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
	return from_dict(data)


def from_dict(data: Any) -> RouteSet:
	if not isinstance(data, dict):
		raise FieldError("routes file", "must be a JSON object")
	if data.get("format") != FORMAT:
		raise FieldError("format", f"must be {FORMAT!r}; this is not a callcenter_app routes export")
	if data.get("version") != VERSION:
		raise FieldError(
			"version", f"version {data.get('version')!r} is not supported (this build reads {VERSION})"
		)
	timezone = validators.timezone("timezone", data.get("timezone") or "UTC")
	region = data.get("default_region") or None
	if region is not None and (not isinstance(region, str) or len(region) != 2 or not region.isalpha()):
		raise FieldError("default_region", f"must be a two-letter country code, not {region!r}")

	holiday_lists = _named("holiday_lists", data, _holiday_list)
	time_conditions = _named("time_conditions", data, _time_condition)
	vip_lists = _named("vip_lists", data, lambda w, d: _vip_list(w, d, region))
	ivr_menus = _named("ivr_menus", data, _ivr_menu)
	announcements = _named("announcements", data, _announcement)
	queues = _named("queues", data, _queue)
	routes = _named("routes", data, lambda w, d: _route(w, d, region))
	numbers: dict[str, str] = {}
	for i, row in enumerate(_list("numbers", data)):
		where = f"numbers[{i}]"
		raw = _str(row, "number", where)
		number = normalize(raw, region, field=f"{where}.number")
		if number in numbers:
			raise FieldError(f"{where}.number", f"{raw} is listed twice")
		numbers[number] = _str(row, "route", where)
	return RouteSet(
		routes=routes,
		numbers=numbers,
		time_conditions=time_conditions,
		holiday_lists=holiday_lists,
		vip_lists=vip_lists,
		ivr_menus=ivr_menus,
		announcements=announcements,
		queues=queues,
		timezone=timezone,
		default_region=region.upper() if region else None,
	)


# --- pieces -------------------------------------------------------------------------------------------


def _list(key: str, data: dict) -> list:
	value = data.get(key, [])
	if not isinstance(value, list):
		raise FieldError(key, "must be a list")
	return value


def _named(key: str, data: dict, build) -> dict:
	out: dict = {}
	for i, row in enumerate(_list(key, data)):
		where = f"{key}[{i}]"
		if not isinstance(row, dict):
			raise FieldError(where, "must be an object")
		item = build(where, row)
		if item.name in out:
			raise FieldError(f"{where}.name", f"{item.name!r} is used twice")
		out[item.name] = item
	return out


def _object(row, where: str) -> dict:
	if not isinstance(row, dict):
		raise FieldError(where, f"must be an object, not {type(row).__name__}")
	return row


def _str(row: dict, key: str, where: str, required: bool = True) -> str:
	value = _object(row, where).get(key)
	if value is None or value == "":
		if required:
			raise FieldError(f"{where}.{key}", "is required")
		return ""
	if not isinstance(value, str):
		raise FieldError(f"{where}.{key}", f"must be text, not {type(value).__name__}")
	if any(c in value for c in "\r\n\0"):
		raise FieldError(f"{where}.{key}", "must not contain line breaks")
	return value


def _int(row: dict, key: str, where: str, default: int, low: int, high: int) -> int:
	value = _object(row, where).get(key, default)
	if value is None:
		value = default
	if isinstance(value, bool) or not isinstance(value, int):
		raise FieldError(f"{where}.{key}", f"must be a whole number, not {value!r}")
	if not low <= value <= high:
		raise FieldError(f"{where}.{key}", f"must be from {low} to {high}, not {value}")
	return value


def sound_file(value: str, field: str) -> str:
	"""A sound as Asterisk names it: a relative path without extension of letters, digits, '-', '_' and '.'
	(no '..', no spaces, nothing Asterisk would read as a second file or an argument)."""
	if not is_sound_name(value):
		raise FieldError(field, f"{value!r} is not a sound name (a relative path like custom/welcome)")
	return value


def _holiday_list(where: str, row: dict) -> HolidayList:
	holidays = {}
	for j, h in enumerate(_list("holidays", row)):
		w = f"{where}.holidays[{j}]"
		text = _str(h, "date", w)
		try:
			day = dt.date.fromisoformat(text)
		except ValueError:
			raise FieldError(f"{w}.date", f"{text!r} is not a date as YYYY-MM-DD") from None
		holidays[day] = _str(h, "description", w, required=False) or "holiday"
	return HolidayList(_str(row, "name", where), holidays)


def _time_condition(where: str, row: dict) -> TimeCondition:
	blocks = []
	for j, b in enumerate(_list("blocks", row)):
		w = f"{where}.blocks[{j}]"
		day = _str(b, "day", w)
		if day not in WEEKDAYS:
			raise FieldError(f"{w}.day", f"{day!r} is not a weekday ({', '.join(WEEKDAYS)})")
		try:
			start, end = parse_hhmm(_str(b, "start", w)), parse_hhmm(_str(b, "end", w))
		except ValueError as e:
			raise FieldError(w, str(e)) from None
		if end <= start:
			raise FieldError(
				f"{w}.end", f"must be later than the start ({hhmm(start)}); split a night into two blocks"
			)
		blocks.append(TimeBlock(WEEKDAYS.index(day), start, end))
	return TimeCondition(
		_str(row, "name", where),
		validators.timezone(f"{where}.timezone", row.get("timezone") or ""),
		tuple(blocks),
		_str(row, "holiday_list", where, required=False) or None,
	)


def _vip_list(where: str, row: dict, region: str | None) -> VipList:
	numbers = frozenset(
		normalize(str(n), region, field=f"{where}.numbers[{j}]") for j, n in enumerate(_list("numbers", row))
	)
	return VipList(_str(row, "name", where), numbers)


def _ivr_menu(where: str, row: dict) -> IvrMenu:
	invalid = _str(row, "invalid_prompt", where, required=False)
	timeout_prompt = _str(row, "timeout_prompt", where, required=False)
	return IvrMenu(
		name=_str(row, "name", where),
		prompt=sound_file(_str(row, "prompt", where), f"{where}.prompt"),
		timeout=_int(row, "timeout", where, 5, 1, 60),
		retries=_int(row, "retries", where, 2, 0, 9),
		max_digits=_int(row, "max_digits", where, 1, 1, 10),
		invalid_prompt=sound_file(invalid, f"{where}.invalid_prompt") if invalid else None,
		timeout_prompt=sound_file(timeout_prompt, f"{where}.timeout_prompt") if timeout_prompt else None,
	)


def _announcement(where: str, row: dict) -> Announcement:
	return Announcement(_str(row, "name", where), sound_file(_str(row, "file", where), f"{where}.file"))


def _queue(where: str, row: dict) -> Queue:
	name = _str(row, "name", where)
	if not is_queue_name(name):
		raise FieldError(
			f"{where}.name", f"{name!r} is not an Asterisk queue name (1-64 letters, digits, '-' or '_')"
		)
	return Queue(name, _int(row, "max_wait", where, 300, 1, 86400))


_NODE_KEYS = {"id", "type", "label", "branches"}


def _route(where: str, row: dict, region: str | None = None) -> Route:
	nodes = []
	seen = set()
	for j, n in enumerate(_list("nodes", row)):
		w = f"{where}.nodes[{j}]"
		if not isinstance(n, dict):
			raise FieldError(w, "must be an object")
		node_id = _str(n, "id", w)
		if node_id in seen:
			raise FieldError(f"{w}.id", f"{node_id!r} is used twice in this route")
		seen.add(node_id)
		branches = n.get("branches") or {}
		if not isinstance(branches, dict) or not all(isinstance(v, str) for v in branches.values()):
			raise FieldError(f"{w}.branches", "must map branch names to node ids")
		params = {}
		for key, value in n.items():
			if key in _NODE_KEYS:
				continue
			if isinstance(value, bool) or (not isinstance(value, str | int) and value is not None):
				raise FieldError(f"{w}.{key}", "must be text or a whole number")
			if value is not None:
				params[key] = value
		if n.get("type") == "forward" and params.get("number") not in (None, ""):
			# dialled as E.164 (like DIDs and VIP numbers), whatever way it was typed
			try:
				params["number"] = normalize(str(params["number"]), region, field=f"{w}.number")
			except FieldError as e:
				raise FieldError(e.field, f"forward node {node_id}: {e.reason}") from None
		nodes.append(
			Node(node_id, _str(n, "type", w), _str(n, "label", w, required=False), params, dict(branches))
		)
	return Route.of(_str(row, "name", where), _str(row, "start", where), nodes)
