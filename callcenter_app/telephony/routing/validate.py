"""Validation of routes before they are saved: every problem named by route and node, with the reason."""

from __future__ import annotations

import re

from callcenter_app.common.errors import FieldError
from callcenter_app.common.phones import normalize
from callcenter_app.telephony.routing.model import (
	DIGITS,
	NODE_TYPES,
	Route,
	RouteSet,
	is_mailbox,
	is_queue_name,
	is_sound_name,
)

NODE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

_PARAM_NAMES = {
	"time_condition": "time condition",
	"holiday_list": "holiday list",
	"vip_list": "VIP list",
	"ivr_menu": "IVR menu",
	"announcement": "announcement",
	"queue": "call queue",
	"route": "route",
}


def _err(route: Route, node_id: str | None, reason: str) -> FieldError:
	where = f"route {route.name}" + (f", node {node_id}" if node_id else "")
	return FieldError(where, reason)


def validate_route(route: Route, routes: RouteSet) -> list[FieldError]:
	"""Problems in one route: unknown types and references, missing, unknown or dangling branches,
	unreachable nodes and loops that never wait for the caller. An empty list means it can be saved."""
	errors: list[FieldError] = []
	if not route.nodes:
		return [_err(route, None, "has no nodes")]
	if route.start not in route.nodes:
		errors.append(_err(route, None, f"start node {route.start!r} is not one of its nodes"))

	for node in route.nodes.values():
		if not NODE_ID.match(node.id):
			errors.append(_err(route, node.id, "node ids are 1-40 letters, digits, '-' or '_'"))
		spec = NODE_TYPES.get(node.type)
		if spec is None:
			errors.append(
				_err(route, node.id, f"unknown node type {node.type!r}; use one of {', '.join(NODE_TYPES)}")
			)
			continue
		errors += _check_param(route, node, spec, routes)
		for branch in spec.required:
			if branch not in node.branches:
				errors.append(_err(route, node.id, f"the '{branch}' branch is missing"))
		allowed = set(spec.required) | set(spec.optional)
		for branch, target in node.branches.items():
			is_digit = spec.digit_branches and branch and set(branch) <= DIGITS
			if branch not in allowed and not is_digit:
				hint = f"; a {node.type} has {', '.join(sorted(allowed)) or 'no'} branches"
				if spec.digit_branches:
					hint += " and digit branches (0-9, * and #)"
				errors.append(_err(route, node.id, f"unknown branch {branch!r}{hint}"))
			if target not in route.nodes:
				errors.append(
					_err(route, node.id, f"branch '{branch}' goes to node {target!r}, which does not exist")
				)
		if node.type == "ivr" and node.param() in routes.ivr_menus:
			menu = routes.ivr_menus[node.param()]
			digits = [b for b in node.branches if b and set(b) <= DIGITS]
			if not digits:
				errors.append(_err(route, node.id, "an IVR menu needs at least one digit branch"))
			for d in digits:
				if len(d) > menu.max_digits:
					errors.append(
						_err(
							route,
							node.id,
							f"digit branch {d!r} is longer than the menu's {menu.max_digits} digit(s)",
						)
					)

	if route.start in route.nodes:
		reachable = _reachable(route)
		for node_id in route.nodes:
			if node_id not in reachable:
				errors.append(_err(route, node_id, "cannot be reached from the start node"))
	errors += _busy_loops(route)
	return errors


def _check_param(route: Route, node, spec, routes: RouteSet) -> list[FieldError]:
	if spec.param is None:
		return []
	value = node.params.get(spec.param)
	if not value:
		return [_err(route, node.id, f"a {node.type} node needs its {spec.param.replace('_', ' ')}")]
	if node.type == "forward":
		try:
			normalize(str(value), routes.default_region, field="number")
		except FieldError as e:
			return [_err(route, node.id, f"forward number {e.reason}")]
		return []
	if node.type == "voicemail":
		if not is_mailbox(value):
			return [_err(route, node.id, f"mailbox {value!r} is not of the form box or box@context")]
		return []
	if node.type == "goto_route" and value == route.name:
		return [_err(route, node.id, "a route cannot continue in itself")]
	if value not in routes.collection(spec.param):
		return [_err(route, node.id, f"unknown {_PARAM_NAMES[spec.param]} {value!r}")]
	return _check_names(route, node, routes.collection(spec.param)[value])


def _check_names(route: Route, node, item) -> list[FieldError]:
	"""The names the route server passes to Asterisk (queue names, sound files) match its allow-lists."""
	if node.type == "queue" and not is_queue_name(item.name):
		return [
			_err(
				route,
				node.id,
				f"call queue {item.name!r} is not an Asterisk queue name (1-64 letters, digits, '-' or '_')",
			)
		]
	sounds = []
	if node.type == "ivr":
		sounds = [
			("prompt", item.prompt),
			("invalid prompt", item.invalid_prompt),
			("timeout prompt", item.timeout_prompt),
		]
	elif node.type == "announcement":
		sounds = [("sound file", item.file)]
	return [
		_err(route, node.id, f"{what} {sound!r} of {item.name} is not a sound name (like custom/welcome)")
		for what, sound in sounds
		if sound is not None and not is_sound_name(sound)
	]


def _reachable(route: Route) -> set[str]:
	seen, stack = set(), [route.start]
	while stack:
		node_id = stack.pop()
		if node_id in seen or node_id not in route.nodes:
			continue
		seen.add(node_id)
		stack.extend(route.nodes[node_id].branches.values())
	return seen


def _busy_loops(route: Route) -> list[FieldError]:
	"""Cycles made only of nodes where the caller does not wait (no IVR input, no queue)."""
	busy = {
		nid: [t for t in n.branches.values() if t in route.nodes and not _waits(route, t)]
		for nid, n in route.nodes.items()
		if not _waits(route, nid)
	}
	errors, state = [], {}  # 1 = on the stack, 2 = done

	def visit(start: str) -> None:
		stack = [(start, iter(busy[start]))]
		path = [start]
		state[start] = 1
		while stack:
			node_id, children = stack[-1]
			child = next(children, None)
			if child is None:
				state[node_id] = 2
				stack.pop()
				path.pop()
			elif state.get(child) == 1:
				cycle = [*path[path.index(child) :], child]
				errors.append(
					_err(
						route,
						child,
						f"loops back to itself ({' → '.join(cycle)}) without waiting for the caller",
					)
				)
			elif child not in state:
				state[child] = 1
				stack.append((child, iter(busy[child])))
				path.append(child)

	for node_id in busy:
		if node_id not in state:
			visit(node_id)
	return errors


def _waits(route: Route, node_id: str) -> bool:
	spec = NODE_TYPES.get(route.nodes[node_id].type)
	return bool(spec and spec.waits)


def validate_routeset(routes: RouteSet) -> list[FieldError]:
	"""Every route, every DID, and loops between routes (goto_route chains that never wait)."""
	errors: list[FieldError] = []
	for route in routes.routes.values():
		errors += validate_route(route, routes)
	for did, name in routes.numbers.items():
		if name not in routes.routes:
			errors.append(FieldError(f"number {did}", f"points at route {name!r}, which does not exist"))
	errors += _route_chain_loops(routes)
	return errors


def _route_chain_loops(routes: RouteSet) -> list[FieldError]:
	"""A route whose start can reach, without waiting, a goto_route back to itself loops forever."""
	edges: dict[str, set[str]] = {}
	for route in routes.routes.values():
		if route.start not in route.nodes:
			continue
		seen, stack, targets = set(), [route.start], set()
		while stack:
			nid = stack.pop()
			if nid in seen or nid not in route.nodes:
				continue
			seen.add(nid)
			node = route.nodes[nid]
			if _waits(route, nid):
				continue
			if node.type == "goto_route" and node.param() in routes.routes:
				targets.add(node.param())
			stack.extend(node.branches.values())
		edges[route.name] = targets
	errors = []
	for name in sorted(edges):
		seen, stack = set(), list(edges[name])
		while stack:
			other = stack.pop()
			if other == name:
				errors.append(
					FieldError(
						f"route {name}", "can come back to itself through other routes without waiting"
					)
				)
				break
			if other not in seen:
				seen.add(other)
				stack.extend(edges.get(other, ()))
	return errors


class InvalidRoutes(FieldError):
	"""A route set with problems (``errors``, each naming the route and node). Servers and the route test
	refuse it as a whole, like the import: a call must never meet a branch to a node that does not exist."""

	def __init__(self, source: str, errors: list[FieldError]):
		self.errors = list(errors)
		count = f"{len(self.errors)} problem" + ("s" if len(self.errors) != 1 else "")
		super().__init__(source, f"not valid ({count}):\n  " + "\n  ".join(str(e) for e in self.errors))


def require_valid(routes: RouteSet, source: str = "routes") -> RouteSet:
	"""``routes`` if :func:`validate_routeset` finds nothing, else InvalidRoutes naming every problem."""
	errors = validate_routeset(routes)
	if errors:
		raise InvalidRoutes(source, errors)
	return routes
