"""Who gets which desk notification (the notification bar), without Frappe.

Each *kind* of event has its audience, decided here from plain facts; ``service.py`` gathers the facts,
asks :func:`audience` and sends one Notification Log per user through Frappe's
``enqueue_create_notification``. Whatever the kind, a user is told once, never about their own action (the
*actor*), and not at all when they switched the kind off (Notification Settings → Call center).

| kind | when | who |
|---|---|---|
| ``new_ticket`` | a ticket arrives in a team | the team's agents |
| ``customer_reply`` | the customer writes on an open ticket | its assignees, else the team's agents |
| ``closed_reply`` | the customer writes on a closed ticket | its last assignees, else the team's agents |
| ``mention`` | an agent's note mentions someone (Helpdesk detects it) | the user mentioned |
| ``overdue`` | reaction or resolution time passed | the assignees and the team lead |
| ``snooze_expired`` | a snoozed ticket is back | the snooze's owner |
| ``callback_due`` | a campaign callback's time has come | a private one's owner; a public one's campaign operators |
| ``next_contact_due`` | a preview campaign contact's retry time has come | the operator who last called it |

Assignment ("forwarded or assigned to me") is not a kind of ours: Frappe's assign-to already sends its own
Assignment notification to the assignee (not to whoever assigned), switched by Frappe's own settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

KINDS = {
	"new_ticket": "New ticket in my team",
	"customer_reply": "Customer replied on my ticket",
	"closed_reply": "Customer replied on a closed ticket",
	"mention": "Mentioned in a note",
	"overdue": "Reaction or resolution time passed",
	"snooze_expired": "Snoozed ticket is back",
	"callback_due": "Callback due",
	"next_contact_due": "Next campaign contact due",
}
NOBODY = frozenset({"", "Guest", "Administrator"})  # never notified (Administrator is no agent)


def setting_field(kind: str) -> str:
	"""The Check on Notification Settings that switches ``kind`` (on unless unticked)."""
	if kind not in KINDS:
		raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
	return f"cc_notify_{kind}"


@dataclass(frozen=True)
class Facts:
	"""What an event's audience is chosen from (only what the kind needs is filled in)."""

	assignees: tuple[str, ...] = ()
	team: tuple[str, ...] = ()  # the team's agents
	team_lead: str | None = None
	mentioned: tuple[str, ...] = ()
	owner: str | None = None  # a snooze's or a private callback's owner
	operators: tuple[str, ...] = ()  # a public callback's campaign operators, a contact's last operator
	private: bool = False  # a callback only its owner sees


def candidates(kind: str, facts: Facts) -> list[str]:
	"""Everyone ``kind`` concerns, before the actor and switches are taken out."""
	if kind == "new_ticket":
		return list(facts.team)
	if kind in ("customer_reply", "closed_reply"):
		return list(facts.assignees or facts.team)
	if kind == "mention":
		return list(facts.mentioned)
	if kind == "overdue":
		return [*facts.assignees, *([facts.team_lead] if facts.team_lead else [])]
	if kind == "snooze_expired":
		return [facts.owner] if facts.owner else []
	if kind == "callback_due":
		return ([facts.owner] if facts.owner else []) if facts.private else list(facts.operators)
	if kind == "next_contact_due":
		return list(facts.operators)
	raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")


def audience(kind: str, facts: Facts, actor: str | None, switched_off: Callable[[str], bool]) -> list[str]:
	"""Who is told: each candidate once (sorted), not the actor, not who switched ``kind`` off."""
	users = {u for u in candidates(kind, facts) if u and u not in NOBODY and u != actor}
	return sorted(u for u in users if not switched_off(u))
