"""Agent presence: work modes → queue memberships. Pure.

An agent is *logged in* or not, and while logged in is in one **work mode** (Available, Break, Phone,
custom ones). A mode says whether it receives calls and whether it receives tickets. Logged-in agents are
members of their queues (penalty = level); in a mode that does not receive calls they stay members but
paused, with the mode as the pause reason, so Asterisk's queue reports show why.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter_app.telephony.actions import Membership


@dataclass(frozen=True)
class WorkMode:
	name: str
	receives_calls: bool = True
	receives_tickets: bool = True


@dataclass(frozen=True)
class AgentState:
	user: str
	logged_in: bool
	work_mode: str | None = None


@dataclass(frozen=True)
class QueueSeat:
	"""A CC Call Queue Member row: who may take calls in which queue, at which level and position."""

	queue: str
	user: str
	sip_account: str
	level: int = 0
	position: int = 0
	name: str = ""


def desired_memberships(
	agents: list[AgentState], seats: list[QueueSeat], modes: dict[str, WorkMode]
) -> list[Membership]:
	"""The Asterisk queue members the logged-in agents should be. An agent without a SIP account has no
	seat; a mode that is missing (deleted meanwhile) is treated as not receiving calls."""
	state = {a.user: a for a in agents}
	out = []
	for seat in seats:
		agent = state.get(seat.user)
		if agent is None or not agent.logged_in or not seat.sip_account:
			continue
		mode = modes.get(agent.work_mode or "")
		out.append(
			Membership(
				queue=seat.queue,
				interface=f"PJSIP/{seat.sip_account}",
				level=int(seat.level or 0),
				paused=not (mode and mode.receives_calls),
				name=seat.name or seat.user,
				position=int(seat.position or 0),
			)
		)
	return out


def receives(agent: AgentState, modes: dict[str, WorkMode], what: str) -> bool:
	"""Whether a logged-in agent's mode takes ``what`` ("calls" or "tickets")."""
	mode = modes.get(agent.work_mode or "")
	return bool(agent.logged_in and mode and getattr(mode, f"receives_{what}"))
