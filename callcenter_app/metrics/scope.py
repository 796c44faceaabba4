"""Who sees whose rows in the agent reports (pure): managers everyone, supervisors their teams, agents
themselves (roles.SEE_ALL_AGENTS, roles.SUPERVISE_TEAMS). The Frappe side
(:func:`callcenter_app.metrics.service.agent_scope`) reads roles and HD Team membership."""

from __future__ import annotations

from collections.abc import Iterable

from callcenter_app.common import roles as capabilities
from callcenter_app.common.errors import FieldError


def scope_of(user: str, roles: Iterable[str], team_members: Iterable[str] = ()) -> frozenset[str] | None:
	"""None (everyone) for Administrator and managers; for a supervisor the members of the teams they are
	in or lead, and themselves; for anyone else only themselves."""
	roles = frozenset(roles)
	if user == capabilities.ADMINISTRATOR or capabilities.may(roles, capabilities.SEE_ALL_AGENTS):
		return None
	if capabilities.may(roles, capabilities.SUPERVISE_TEAMS):
		return frozenset(team_members) | {user}
	return frozenset({user})


def agents_to_show(
	scope: frozenset[str] | None, agent: str = "", team_members: Iterable[str] | None = None
) -> frozenset[str] | None:
	"""The agents a report reads: the scope narrowed by the ``agent`` filter and a team's members
	(``team_members`` None: no team filter). None: everyone. An agent outside the scope is refused."""
	if agent:
		if scope is not None and agent not in scope:
			raise FieldError("agent", f"{agent} is not one of the agents you may see")
		chosen: frozenset[str] | None = frozenset({agent})
	else:
		chosen = scope
	if team_members is not None:
		members = frozenset(team_members)
		chosen = members if chosen is None else chosen & members
	return chosen
