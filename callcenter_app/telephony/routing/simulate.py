"""The route simulator: "what happens to a call from CALLER to DID at WHEN if the caller presses DIGITS?"

It drives the same evaluator the FastAGI server drives, answering its actions from the scenario instead of
from Asterisk, and returns the path node by node with the reason for every step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.routing.evaluator import (
	DIAL_RESULTS,
	QUEUE_RESULTS,
	Action,
	CallContext,
	Dial,
	EnterQueue,
	Menu,
	Outcome,
	Play,
	SetVar,
	Step,
	route_call,
)
from callcenter_app.telephony.routing.model import RouteSet


@dataclass
class Simulation:
	steps: list[Step]
	actions: list[Action]
	outcome: Outcome | None  # None when the caller hung up first
	hung_up: bool = False
	variables: dict[str, str] = field(default_factory=dict)

	def as_dict(self) -> dict:
		return {
			"steps": [s.as_dict() for s in self.steps],
			"actions": [a.__dict__ | {"kind": a.kind} for a in self.actions],
			"outcome": None if self.outcome is None else self.outcome.__dict__,
			"caller_hung_up": self.hung_up,
			"variables": self.variables,
		}

	def describe(self) -> str:
		lines = []
		for i, s in enumerate(self.steps, 1):
			where = f"{s.route}/{s.node}" if s.node else s.route or "-"
			arrow = f" → {s.branch}" if s.branch else ""
			lines.append(f"{i:>2}. {where} [{s.type}]{arrow}: {s.reason}")
		if self.hung_up:
			lines.append("    caller hung up")
		elif self.outcome is not None:
			target = f" ({self.outcome.target})" if self.outcome.target else ""
			lines.append(f"    outcome: {self.outcome.result}{target}")
		return "\n".join(lines)


def simulate(
	routes: RouteSet,
	did: str,
	caller: str,
	when: dt.datetime,
	digits: Iterable[str] = (),
	queue_results: Iterable[str] = (),
	dial_results: Iterable[str] = (),
	hang_up_after: int | None = None,
) -> Simulation:
	"""Route one call against a scenario.

	``digits``: what the caller enters at each IVR prompt, in order ('' = presses nothing; when the list
	runs out the caller presses nothing). ``queue_results`` / ``dial_results``: how each queue or forward
	ends ('answered' by default, or an Asterisk QUEUESTATUS / DIALSTATUS such as 'timeout' or 'busy').
	``hang_up_after``: the caller hangs up during that many-th action that makes them wait (1-based).
	A status Asterisk does not report, or a ``hang_up_after`` below 1, raises FieldError naming it.
	"""
	queue_results = check_results("queue results", queue_results, QUEUE_RESULTS)
	dial_results = check_results("dial results", dial_results, DIAL_RESULTS)
	if hang_up_after is not None and (isinstance(hang_up_after, bool) or int(hang_up_after) < 1):
		raise FieldError(
			"hang up after", f"must be 1 or more (the N-th prompt, queue or forward), not {hang_up_after}"
		)
	digit_feed, queue_feed, dial_feed = (
		iter(list(digits)),
		iter(queue_results),
		iter(dial_results),
	)
	ctx = CallContext(did=did, caller=caller, when=when)
	gen = route_call(routes, ctx)
	sim = Simulation(steps=ctx.trace, actions=[], outcome=None)
	waits = 0
	result = None
	try:
		while True:
			action = gen.send(result)
			sim.actions.append(action)
			if isinstance(action, SetVar):
				sim.variables[action.name] = action.value
				result = None
				continue
			waits += 1
			if hang_up_after is not None and waits >= hang_up_after:
				gen.close()
				sim.hung_up = True
				return sim
			if isinstance(action, Menu):
				result = next(digit_feed, "")
			elif isinstance(action, EnterQueue):
				result = next(queue_feed, "answered")
			elif isinstance(action, Dial):
				result = next(dial_feed, "answered")
			elif isinstance(action, Play):
				result = None
			else:  # pragma: no cover - every action kind is handled above
				raise TypeError(f"unknown action {action!r}")
	except StopIteration as stop:
		sim.outcome = stop.value
	return sim


def check_results(field: str, values: Iterable[str], allowed: frozenset[str]) -> list[str]:
	"""Queue or forward results, lower-cased; a value Asterisk never reports is refused, naming it."""
	out = []
	for value in values:
		text = str(value).strip().lower()
		if text not in allowed:
			choices = ", ".join(["answered", *sorted(allowed - {"answered"})])
			raise FieldError(field, f"{str(value).strip()!r} is not one of {choices}")
		out.append(text)
	return out
