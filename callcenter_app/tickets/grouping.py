"""Grouping window and replies to closed tickets. Pure.

Messages from the same sender that arrive within the team's grouping window join one ticket: a new message
joins the sender's most recent ticket in the team when that ticket is open and its last message is at most
``window_seconds`` old. When the sender's most recent ticket is closed, the message is a reply to a closed
ticket, and the team's policy decides (:func:`on_reply_to_closed`): reopen it, or open a new ticket linked
to it.

Senders are compared by :func:`group_key`: email addresses in lower case (optionally without a ``+tag``),
phone numbers as their digits with a leading ``+`` when they had one (or ``00``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from callcenter_app.common.errors import FieldError
from callcenter_app.tickets.filters import sender_address

REPLY_POLICIES = ("reopen", "new_ticket")


@dataclass(frozen=True)
class Incoming:
	sender: str
	team: str = ""  # the team the filters chose; empty to look across all teams


@dataclass(frozen=True)
class RecentTicket:
	id: str
	sender: str
	team: str
	last_message_at: datetime
	closed: bool = False


class ReplyAction(NamedTuple):
	action: str  # "reopen" | "new_linked"
	ticket: str  # the closed ticket: the one to reopen, or the one the new ticket links to


def group_key(sender: str, strip_tags: bool = False) -> str:
	"""``ann@example.com`` for ``Ann <Ann+Billing@Example.com>`` (``+billing`` kept unless ``strip_tags``);
	``+37060012345`` for ``+370 600 12345`` or ``00370 600 12345``; ``860012345`` for ``8 (600) 12345``."""
	text = (sender or "").strip()
	if not text:
		raise FieldError("sender", "is empty")
	address = sender_address(text)
	if "@" in address:
		local, _, domain = address.rpartition("@")
		domain = domain.strip().rstrip(".")
		if not local or not domain:
			raise FieldError("sender", f"{sender!r} is not an email address")
		if strip_tags and "+" in local[1:]:
			local = local.split("+", 1)[0] or local
		return f"{local}@{domain}".lower()
	number = re.sub(r"^(tel|sms):", "", text, flags=re.IGNORECASE)
	digits = re.sub(r"\D", "", number)
	if not digits:
		raise FieldError("sender", f"{sender!r} is neither an email address nor a phone number")
	if number.lstrip().startswith("+"):
		return "+" + digits
	if digits.startswith("00") and len(digits) > 2:
		return "+" + digits[2:]
	return digits


def _key(sender: str, strip_tags: bool) -> str | None:
	try:
		return group_key(sender, strip_tags)
	except FieldError:
		return None


def join_target(
	message: Incoming,
	recent_tickets: Iterable[RecentTicket],
	window_seconds: float,
	now: datetime,
	strip_tags: bool = False,
) -> str | None:
	"""The ticket the message joins, or None for a new ticket (or the reply-to-closed policy).

	A sender that has no key (withheld number, empty) is never grouped. ``window_seconds`` 0 turns
	grouping off.
	"""
	if isinstance(window_seconds, bool) or not isinstance(window_seconds, (int, float)) or window_seconds < 0:
		raise FieldError("window_seconds", f"must be a number of seconds ≥ 0, not {window_seconds!r}")
	if not isinstance(now, datetime) or now.tzinfo is None:
		raise FieldError("now", f"must be a time-zone-aware date-time, not {now!r}")
	if not window_seconds:
		return None
	latest = _latest(message, recent_tickets, strip_tags)
	if latest is None or latest.closed:
		return None
	if (now - latest.last_message_at).total_seconds() > window_seconds:
		return None
	return latest.id


def _latest(
	message: Incoming, recent_tickets: Iterable[RecentTicket], strip_tags: bool
) -> RecentTicket | None:
	"""The sender's most recent ticket in the message's team (on a tie of times, an open one)."""
	key = _key(message.sender, strip_tags)
	if key is None:
		return None
	latest: RecentTicket | None = None
	for ticket in recent_tickets:
		if message.team and ticket.team != message.team:
			continue
		if _key(ticket.sender, strip_tags) != key:
			continue
		if latest is None or (ticket.last_message_at, not ticket.closed) > (
			latest.last_message_at,
			not latest.closed,
		):
			latest = ticket
	return latest


def on_reply_to_closed(policy: str, ticket: str) -> ReplyAction:
	"""A reply to closed ``ticket``: ("reopen", ticket) or ("new_linked", ticket) by the team's policy."""
	normal = str(policy or "").strip().lower().replace(" ", "_")
	if normal == "reopen":
		return ReplyAction("reopen", ticket)
	if normal == "new_ticket":
		return ReplyAction("new_linked", ticket)
	raise FieldError("reply_to_closed", f"must be 'reopen' or 'new_ticket', not {policy!r}")


def closed_reply_target(
	message: Incoming, recent_tickets: Iterable[RecentTicket], strip_tags: bool = False
) -> str | None:
	"""The sender's most recent ticket in the team when it is closed (what the policy applies to), else None.
	It applies whatever the window: a reply can come weeks later."""
	latest = _latest(message, recent_tickets, strip_tags)
	return latest.id if latest is not None and latest.closed else None
