"""The route evaluator: walks a route for one call and says, step by step, what to do with it.

:func:`route_call` is a generator. It yields :class:`Action` objects — play a file, collect digits, put
the caller in a queue, dial an external number, tag the channel — and is sent back what happened (the
digits pressed, the queue's outcome, ...). It returns the final :class:`Outcome` and, all along, writes a
:class:`Step` with the reason for every decision into ``trace``. The FastAGI server and the simulator
drive the same generator, so a simulated path is exactly what the server would do with the same call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from callcenter_app.common.phones import try_normalize
from callcenter_app.telephony.routing.model import NODE_TYPES, Node, Route, RouteSet, TimeCondition, hhmm

HOP_LIMIT = 64  # nodes one call may pass through, across routes, before it is ended

# What a Queue or Dial action reports back: 'answered', or Asterisk's QUEUESTATUS / DIALSTATUS lower-cased.
# Only 'answered' is an answer; every other status leaves by the overflow / failed branch.
ANSWERED = "answered"
# app_queue (Asterisk 22) sets QUEUESTATUS when the caller leaves unanswered or cannot join; UNKNOWN is what
# it sets when the queue does not exist ("Unable to join queue").
QUEUE_LEFT = frozenset(
	{
		"timeout",
		"full",
		"joinempty",
		"leaveempty",
		"joinunavail",
		"leaveunavail",
		"continue",
		"withdraw",
		"unknown",
	}
)
# app_dial's DIALSTATUS values other than ANSWER (which the driver reports as 'answered').
DIAL_FAILED = frozenset(
	{"noanswer", "busy", "congestion", "chanunavail", "cancel", "dontcall", "torture", "invalidargs"}
)
QUEUE_RESULTS = frozenset({ANSWERED}) | QUEUE_LEFT
DIAL_RESULTS = frozenset({ANSWERED}) | DIAL_FAILED
_QUEUE_WHY = {
	"unknown": "could not join (UNKNOWN: Asterisk has no such queue)",
	"full": "could not join (FULL: the queue is full)",
	"joinempty": "could not join (JOINEMPTY: no member can take calls)",
	"joinunavail": "could not join (JOINUNAVAIL: no member is available)",
}


# --- actions the driver performs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
	kind: str = ""


@dataclass(frozen=True)
class SetVar(Action):
	"""Tag the channel (the AMI bridge reads these from VarSet events). The result is ignored."""

	name: str = ""
	value: str = ""
	kind: str = "set"


@dataclass(frozen=True)
class Play(Action):
	"""Play a sound file to the end. The result is ignored."""

	file: str = ""
	kind: str = "play"


@dataclass(frozen=True)
class Menu(Action):
	"""Play ``prompt`` and collect up to ``max_digits`` digits. The result is the digits ('' on timeout)."""

	prompt: str = ""
	timeout: int = 5
	max_digits: int = 1
	kind: str = "menu"


@dataclass(frozen=True)
class EnterQueue(Action):
	"""Put the caller in ``queue`` for at most ``timeout`` seconds. Result: 'answered' or why it left."""

	queue: str = ""
	timeout: int = 300
	kind: str = "queue"


@dataclass(frozen=True)
class Dial(Action):
	"""Forward the call to an external number. Result: 'answered' or why it failed."""

	number: str = ""
	timeout: int = 30
	kind: str = "dial"


# --- what is recorded ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
	route: str
	node: str
	type: str
	branch: str  # the branch taken, or '' for a node that ends the call
	reason: str

	def as_dict(self) -> dict:
		return {
			"route": self.route,
			"node": self.node,
			"type": self.type,
			"branch": self.branch,
			"reason": self.reason,
		}


@dataclass(frozen=True)
class Outcome:
	"""How the routing ended: 'answered' (queue or forward), 'voicemail', 'hangup' or 'rejected'."""

	result: str
	detail: str = ""
	target: str = ""  # the queue, number or mailbox that took the call


@dataclass
class CallContext:
	did: str
	caller: str
	when: dt.datetime
	trace: list[Step] = field(default_factory=list)
	route: str = ""


class RoutingError(Exception):
	"""The call cannot be routed at all (unknown DID, broken route set): the caller hears nothing more."""


# --- the evaluator ------------------------------------------------------------------------------------


def route_for(routes: RouteSet, did: str) -> str:
	"""The route a DID reaches: the number as given, or its E.164 form."""
	return routes.numbers[_number_key(routes, did)]


def _number_key(routes: RouteSet, did: str) -> str:
	"""The DID as the route set lists it (so what the caller's network sent is never passed on as is)."""
	if did in routes.numbers:
		return did
	normal = try_normalize(did, routes.default_region)
	if normal and normal in routes.numbers:
		return normal
	raise RoutingError(f"number {did} is not assigned to any route")


def route_call(
	routes: RouteSet, ctx: CallContext, hop_limit: int = HOP_LIMIT
) -> Generator[Action, object, Outcome]:
	"""Route one call. Yields actions, receives their results, returns the outcome (see module doc)."""
	when = ctx.when if ctx.when.tzinfo else ctx.when.replace(tzinfo=ZoneInfo(routes.timezone))
	caller = try_normalize(ctx.caller, routes.default_region) or (ctx.caller or "").strip()
	try:
		did = _number_key(routes, ctx.did)
	except RoutingError as e:
		ctx.trace.append(Step("", "", "did", "", str(e)))
		return Outcome("rejected", str(e))
	route_name = routes.numbers[did]
	route = routes.routes.get(route_name)
	if route is None:
		reason = f"number {ctx.did} points at route {route_name}, which does not exist"
		ctx.trace.append(Step(route_name, "", "did", "", reason))
		return Outcome("rejected", reason)
	ctx.route = route.name
	yield SetVar(name="CC_ROUTE", value=route.name)
	yield SetVar(name="CC_DID", value=did)

	node_id: str | None = route.start
	hops = 0
	while True:
		node = route.nodes.get(node_id) if node_id else None
		if node is None:
			reason = f"route {route.name} has no node {node_id!r}: hang up"
			ctx.trace.append(Step(route.name, node_id or "", "missing", "", reason))
			return Outcome("hangup", reason)
		hops += 1
		if hops > hop_limit:
			reason = f"passed {hop_limit} nodes without ending: hang up to stop a loop"
			ctx.trace.append(Step(route.name, node.id, node.type, "", reason))
			return Outcome("hangup", reason)

		handler = _HANDLERS[node.type]
		result = yield from handler(routes, route, node, when, caller, ctx)
		if isinstance(result, Outcome):
			return result
		if isinstance(result, Route):  # goto_route
			route = result
			ctx.route = route.name
			yield SetVar(name="CC_ROUTE", value=route.name)
			node_id = route.start
			continue
		node_id = result


def _take(ctx: CallContext, route: Route, node: Node, branch: str, reason: str) -> str | Outcome:
	"""Record the branch taken and return the next node id (or end the call if the branch is absent)."""
	target = node.branches.get(branch)
	if target is None:
		ctx.trace.append(Step(route.name, node.id, node.type, "", f"{reason}; no '{branch}' branch: hang up"))
		return Outcome("hangup", f"{node.title}: no '{branch}' branch")
	ctx.trace.append(Step(route.name, node.id, node.type, branch, reason))
	return target


def _end(ctx: CallContext, route: Route, node: Node, reason: str, outcome: Outcome) -> Outcome:
	ctx.trace.append(Step(route.name, node.id, node.type, "", reason))
	return outcome


def _holiday(routes: RouteSet, list_name: str | None, day: dt.date) -> str | None:
	holidays = routes.holiday_lists.get(list_name) if list_name else None
	return holidays.holidays.get(day) if holidays else None


def is_open(routes: RouteSet, condition: TimeCondition, when: dt.datetime) -> tuple[bool, str]:
	"""Whether ``condition`` is met at ``when``, with the reason in words."""
	local = condition.local(when)
	stamp = f"{local:%Y-%m-%d %a %H:%M} {condition.timezone}"
	holiday = _holiday(routes, condition.holiday_list, local.date())
	if holiday is not None:
		return False, f"time condition {condition.name} not met: {local:%Y-%m-%d} is holiday {holiday}"
	minute = local.hour * 60 + local.minute
	for block in condition.blocks:
		if block.contains(local.weekday(), minute):
			return True, f"time condition {condition.name} met: {stamp} is within {block}"
	today = [b for b in condition.blocks if b.weekday == local.weekday()]
	hours = ", ".join(f"{hhmm(b.start)}-{hhmm(b.end)}" for b in today) or "closed all day"
	return False, f"time condition {condition.name} not met: {stamp} is outside {local:%A} hours ({hours})"


def _time_condition(routes, route, node, when, caller, ctx):
	condition = routes.time_conditions[node.param()]
	met, reason = is_open(routes, condition, when)
	return _take(ctx, route, node, "met" if met else "not_met", reason)
	yield  # a generator like the other handlers


def _holiday_check(routes, route, node, when, caller, ctx):
	name = node.param()
	day = when.astimezone(ZoneInfo(routes.timezone)).date()
	holiday = _holiday(routes, name, day)
	if holiday is not None:
		return _take(ctx, route, node, "holiday", f"{day} is holiday {holiday} in {name}")
	return _take(ctx, route, node, "not_holiday", f"{day} is not a holiday in {name}")
	yield


def _vip(routes, route, node, when, caller, ctx):
	name = node.param()
	if caller and caller in routes.vip_lists[name].numbers:
		return _take(ctx, route, node, "vip", f"caller {caller} is in VIP list {name}")
	return _take(ctx, route, node, "not_vip", f"caller {caller or 'unknown'} is not in VIP list {name}")
	yield


def _ivr(routes, route, node, when, caller, ctx):
	menu = routes.ivr_menus[node.param()]
	choices = {k: v for k, v in node.branches.items() if k and set(k) <= set("0123456789*#")}
	tries = 0
	while True:
		digits = yield Menu(prompt=menu.prompt, timeout=menu.timeout, max_digits=menu.max_digits)
		digits = str(digits or "")
		if digits in choices:
			return _take(ctx, route, node, digits, f"IVR {menu.name}: caller pressed {digits}")
		tries += 1
		kind = "timeout" if not digits else "invalid"
		what = "no digit pressed" if not digits else f"caller pressed {digits}, which is not an option"
		if tries > menu.retries:
			return _take(
				ctx, route, node, kind, f"IVR {menu.name}: {what} (try {tries} of {menu.retries + 1})"
			)
		ctx.trace.append(
			Step(
				route.name,
				node.id,
				node.type,
				"retry",
				f"IVR {menu.name}: {what}; prompt again (try {tries})",
			)
		)
		again = menu.timeout_prompt if kind == "timeout" else menu.invalid_prompt
		if again:
			yield Play(file=again)


def _announcement(routes, route, node, when, caller, ctx):
	announcement = routes.announcements[node.param()]
	yield Play(file=announcement.file)
	return _take(ctx, route, node, "next", f"played announcement {announcement.name}")


def _queue(routes, route, node, when, caller, ctx):
	queue = routes.queues[node.param()]
	timeout = int(node.params.get("timeout") or queue.max_wait)
	yield SetVar(name="CC_QUEUE", value=queue.name)
	status = str((yield EnterQueue(queue=queue.name, timeout=timeout)) or "").lower()
	if status == ANSWERED:
		return _end(
			ctx,
			route,
			node,
			f"queue {queue.name}: answered",
			Outcome("answered", f"queue {queue.name}", queue.name),
		)
	why = _QUEUE_WHY.get(status) or f"left unanswered ({status or 'no status'}, max wait {timeout} s)"
	reason = f"queue {queue.name}: {why}"
	if "overflow" not in node.branches:
		return _end(ctx, route, node, f"{reason}; no overflow branch: hang up", Outcome("hangup", reason))
	return _take(ctx, route, node, "overflow", reason)


def _forward(routes, route, node, when, caller, ctx):
	typed = str(node.param() or "")
	timeout = int(node.params.get("timeout") or 30)
	number = try_normalize(typed, routes.default_region)  # E.164 even for a number saved as typed
	if number is None:
		reason = f"forward number {typed!r} is not a phone number: not dialled"
		if "failed" not in node.branches:
			return _end(ctx, route, node, f"{reason}; no failed branch: hang up", Outcome("hangup", reason))
		return _take(ctx, route, node, "failed", reason)
	yield SetVar(name="CC_FORWARD", value=number)
	status = str((yield Dial(number=number, timeout=timeout)) or "").lower()
	if status == ANSWERED:
		return _end(
			ctx,
			route,
			node,
			f"forwarded to {number}: answered",
			Outcome("answered", f"forward {number}", number),
		)
	reason = f"forward to {number} failed ({status or 'no status'})"
	if "failed" not in node.branches:
		return _end(ctx, route, node, f"{reason}; no failed branch: hang up", Outcome("hangup", reason))
	return _take(ctx, route, node, "failed", reason)


def _voicemail(routes, route, node, when, caller, ctx):
	mailbox = node.param() or ""
	return _end(
		ctx, route, node, f"to voicemail {mailbox}", Outcome("voicemail", f"mailbox {mailbox}", mailbox)
	)
	yield


def _hangup(routes, route, node, when, caller, ctx):
	return _end(ctx, route, node, "hang up", Outcome("hangup", node.title))
	yield


def _goto_route(routes, route, node, when, caller, ctx):
	target = routes.routes.get(node.param() or "")
	if target is None:
		return _end(
			ctx, route, node, f"route {node.param()} does not exist: hang up", Outcome("hangup", "no route")
		)
	ctx.trace.append(Step(route.name, node.id, node.type, "route", f"continue in route {target.name}"))
	return target
	yield


_HANDLERS = {
	"time_condition": _time_condition,
	"holiday": _holiday_check,
	"vip": _vip,
	"ivr": _ivr,
	"announcement": _announcement,
	"queue": _queue,
	"forward": _forward,
	"voicemail": _voicemail,
	"hangup": _hangup,
	"goto_route": _goto_route,
}
assert set(_HANDLERS) == set(NODE_TYPES)
