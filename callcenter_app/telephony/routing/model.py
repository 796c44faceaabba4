"""The route model: what a call can meet between the DID it dialled and the person or machine that takes it.

A *route* is a graph of *nodes*. Each node has a type, the parameters of that type (which time condition,
which queue, ...) and named *branches* to other nodes of the same route. The objects the nodes refer to
(time conditions, holiday lists, VIP lists, IVR menus, announcements, queues) and the DID → route table
live in one :class:`RouteSet`, which is everything the evaluator needs to route a call: the FastAGI server
holds one in memory, the CLI reads one from an exported JSON file, the Frappe glue builds one from doctypes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DIGITS = frozenset("0123456789*#")

# What the FastAGI server may put into an Asterisk application argument or a sound name. Allow-lists, so
# nothing a record (or a caller) controls can add an argument (',' '|'), a second file ('&'), a function
# or variable (`$` `{` `(` `)`), a path outside the sounds folder, or a line break.
QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # as CC Call Queue and queues.conf name them
SOUND_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}){0,4}")
MAILBOX = re.compile(r"[0-9A-Za-z_-]{1,40}(?:@[0-9A-Za-z_-]{1,40})?")  # box or box@context
DIAL_NUMBER = re.compile(r"\+[1-9][0-9]{3,14}|[0-9]{1,6}")  # E.164, or a PBX extension (up to 6 digits)


def is_queue_name(value: object) -> bool:
	return isinstance(value, str) and QUEUE_NAME.fullmatch(value) is not None


def is_sound_name(value: object) -> bool:
	return isinstance(value, str) and SOUND_NAME.fullmatch(value) is not None and ".." not in value


def is_mailbox(value: object) -> bool:
	return isinstance(value, str) and MAILBOX.fullmatch(value) is not None


def is_dial_number(value: object) -> bool:
	return isinstance(value, str) and DIAL_NUMBER.fullmatch(value) is not None


@dataclass(frozen=True)
class NodeSpec:
	"""What a node type needs: its parameter, the branches it must have and those it may have."""

	param: str | None
	required: tuple[str, ...] = ()
	optional: tuple[str, ...] = ()
	digit_branches: bool = False  # IVR: any digit string is a branch too
	waits: bool = False  # the caller spends time here (input, queue): a loop through it is not a busy loop
	terminal: bool = False  # ends the call (or hands it to another route)


NODE_TYPES: dict[str, NodeSpec] = {
	"time_condition": NodeSpec("time_condition", required=("met", "not_met")),
	"holiday": NodeSpec("holiday_list", required=("holiday", "not_holiday")),
	"vip": NodeSpec("vip_list", required=("vip", "not_vip")),
	"ivr": NodeSpec("ivr_menu", required=("timeout", "invalid"), digit_branches=True, waits=True),
	"announcement": NodeSpec("announcement", required=("next",)),
	"queue": NodeSpec("queue", optional=("overflow",), waits=True),
	"forward": NodeSpec("number", optional=("failed",)),
	"voicemail": NodeSpec("mailbox", terminal=True),
	"hangup": NodeSpec(None, terminal=True),
	"goto_route": NodeSpec("route", terminal=True),
}


@dataclass(frozen=True)
class Node:
	id: str
	type: str
	label: str = ""
	params: dict = field(default_factory=dict)
	branches: dict[str, str] = field(default_factory=dict)

	@property
	def title(self) -> str:
		return self.label or self.id

	def param(self) -> str | None:
		spec = NODE_TYPES.get(self.type)
		return self.params.get(spec.param) if spec and spec.param else None


@dataclass(frozen=True)
class Route:
	name: str
	start: str
	nodes: dict[str, Node]

	@classmethod
	def of(cls, name: str, start: str, nodes: list[Node]) -> Route:
		return cls(name, start, {n.id: n for n in nodes})


@dataclass(frozen=True)
class TimeBlock:
	"""One open period on one weekday, in minutes from midnight; ``end`` may be 1440 (24:00)."""

	weekday: int  # 0 = Monday
	start: int
	end: int

	def contains(self, weekday: int, minute: int) -> bool:
		return weekday == self.weekday and self.start <= minute < self.end

	def __str__(self) -> str:
		return f"{WEEKDAYS[self.weekday]} {hhmm(self.start)}-{hhmm(self.end)}"


@dataclass(frozen=True)
class TimeCondition:
	name: str
	timezone: str
	blocks: tuple[TimeBlock, ...]
	holiday_list: str | None = None

	def local(self, when: dt.datetime) -> dt.datetime:
		return when.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True)
class HolidayList:
	name: str
	holidays: dict[dt.date, str]  # date → description


@dataclass(frozen=True)
class VipList:
	name: str
	numbers: frozenset[str]  # E.164


@dataclass(frozen=True)
class IvrMenu:
	name: str
	prompt: str  # sound file, as Asterisk names it (no extension)
	timeout: int = 5  # seconds to wait for the first digit
	retries: int = 2  # prompts repeated after a timeout or an invalid choice before those branches are taken
	max_digits: int = 1
	invalid_prompt: str | None = None
	timeout_prompt: str | None = None


@dataclass(frozen=True)
class Announcement:
	name: str
	file: str  # sound file, as Asterisk names it (no extension)


@dataclass(frozen=True)
class Queue:
	name: str
	max_wait: int = 300  # seconds before the caller leaves the queue by the overflow branch


@dataclass(frozen=True)
class RouteSet:
	routes: dict[str, Route] = field(default_factory=dict)
	numbers: dict[str, str] = field(default_factory=dict)  # DID (E.164 or extension) → route name
	time_conditions: dict[str, TimeCondition] = field(default_factory=dict)
	holiday_lists: dict[str, HolidayList] = field(default_factory=dict)
	vip_lists: dict[str, VipList] = field(default_factory=dict)
	ivr_menus: dict[str, IvrMenu] = field(default_factory=dict)
	announcements: dict[str, Announcement] = field(default_factory=dict)
	queues: dict[str, Queue] = field(default_factory=dict)
	timezone: str = "UTC"  # for naive times and holiday checks outside time conditions
	default_region: str | None = None  # how callers' national numbers are read (ISO code)

	def collection(self, param: str) -> dict:
		return {
			"time_condition": self.time_conditions,
			"holiday_list": self.holiday_lists,
			"vip_list": self.vip_lists,
			"ivr_menu": self.ivr_menus,
			"announcement": self.announcements,
			"queue": self.queues,
			"route": self.routes,
		}[param]


def hhmm(minutes: int) -> str:
	return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hhmm(value: str) -> int:
	"""``"09:30"`` → 570; ``"24:00"`` → 1440. Raises ValueError on anything else."""
	hours, sep, minutes = str(value).strip().partition(":")
	if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
		raise ValueError(f"{value!r} is not a time of day as HH:MM")
	total = int(hours) * 60 + int(minutes)
	if int(minutes) > 59 or total > 1440:
		raise ValueError(f"{value!r} is not a time of day from 00:00 to 24:00")
	return total
