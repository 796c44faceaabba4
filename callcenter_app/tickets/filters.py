"""Ticket sources and keyword filters: which team a new message goes to, and with which weight. Pure.

A **source** (a mailbox, an SMS number, a phone line, a web form) has a weight (tickets from heavier
sources are distributed first), a default team and ordered keyword **rules**. The first rule that matches
the message sets the team; when none does, the source's default team gets it. Every comparison ignores
case.

Rules are checked when they are saved (:func:`check_rules`): a regex must compile, be at most
:data:`MAX_REGEX_LENGTH` characters and must not be able to backtrack catastrophically (a repeat inside a
repeat that can match the same text two ways, like ``(a+)+`` or ``(\\w+\\s?)+``; alternatives that can
start alike inside a repeat, like ``(a|a)+``; two unbounded repeats separated only by text both could
match, like ``.*a.*``). Python's ``re`` has no timeout, so a regex also only ever looks at the first
:data:`REGEX_TEXT_LIMIT` characters of a field; ``contains`` and ``equals`` see all of it. A rule that fails
the checks never matches in :func:`route` (it cannot have been saved, but the core does not trust that).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache

from callcenter_app.common.errors import FieldError

try:  # Python 3.11+
	from re import _constants as _sre
	from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python 3.10
	import sre_constants as _sre
	import sre_parse as _sre_parse

SOURCE_TYPES = ("email", "sms", "phone", "web_form")
FIELDS = ("subject", "body", "sender", "sender_domain")
OPERATORS = ("contains", "equals", "regex")
MAX_REGEX_LENGTH = 500
REGEX_TEXT_LIMIT = 2000  # characters of a field a regex looks at: re.search is quadratic at worst


@dataclass(frozen=True)
class Rule:
	"""One keyword filter row: when ``field`` ``operator`` ``value`` matches, the message goes to ``team``."""

	field: str
	operator: str
	value: str
	team: str


@dataclass(frozen=True)
class Source:
	name: str
	type: str
	weight: int = 0
	default_team: str = ""
	rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Message:
	"""What the filters look at. ``sender`` is as received: ``Name <a@b.com>``, an address or a number."""

	subject: str = ""
	body: str = ""
	sender: str = ""


@dataclass(frozen=True)
class Routing:
	team: str
	weight: int
	matched_rule_index: int | None  # 0-based position in Source.rules; None when the default team applies
	reason: str


# --- senders -------------------------------------------------------------------------------------------


def sender_address(sender: str) -> str:
	"""The bare address of ``Name <a@b.com>`` in lower case; a sender without an address (a phone number,
	a name) is returned stripped, as it is."""
	text = (sender or "").strip()
	_, address = parseaddr(text)
	address = address.strip()
	if "@" in address:
		return address.lower()
	return text


def sender_domain(sender: str) -> str:
	"""``b.com`` for ``Name <a@B.com>``; empty for a sender without an email address."""
	address = sender_address(sender)
	if "@" not in address:
		return ""
	return address.rsplit("@", 1)[1].strip().rstrip(".").lower()


def field_text(message: Message, field: str) -> str:
	"""The text a rule on ``field`` looks at. ``sender`` is the bare address (see :func:`sender_address`)."""
	if field == "subject":
		return message.subject or ""
	if field == "body":
		return message.body or ""
	if field == "sender":
		return sender_address(message.sender)
	if field == "sender_domain":
		return sender_domain(message.sender)
	raise FieldError("field", f"must be one of {', '.join(FIELDS)}, not {field!r}")


# --- checking rules and sources -------------------------------------------------------------------------


def check_rules(rules: Sequence[Rule]) -> list[FieldError]:
	"""Every problem in the rule rows, each naming the column and the 1-based row ("row 2: ...")."""
	errors: list[FieldError] = []
	for row, rule in enumerate(rules, start=1):
		for column, reason in _rule_problems(rule.field, rule.operator, rule.value, rule.team):
			errors.append(FieldError(column, f"row {row}: {reason}"))
	return errors


def check_source(source: Source) -> list[FieldError]:
	"""The source's own fields, then its rules."""
	errors: list[FieldError] = []
	if not (source.name or "").strip():
		errors.append(FieldError("name", "is required"))
	if source.type not in SOURCE_TYPES:
		errors.append(FieldError("type", f"must be one of {', '.join(SOURCE_TYPES)}, not {source.type!r}"))
	if isinstance(source.weight, bool) or not isinstance(source.weight, int):
		errors.append(FieldError("weight", f"must be a whole number, not {source.weight!r}"))
	elif source.weight < 0:
		errors.append(FieldError("weight", f"must not be negative, not {source.weight}"))
	if not (source.default_team or "").strip():
		errors.append(FieldError("default_team", "is required: messages that match no rule go there"))
	return errors + check_rules(source.rules)


def regex_problem(pattern: str) -> str | None:
	"""Why ``pattern`` cannot be a filter, or None when it can (length, compiles, cannot blow up)."""
	if len(pattern) > MAX_REGEX_LENGTH:
		return f"regex is {len(pattern)} characters long; the limit is {MAX_REGEX_LENGTH}"
	try:
		re.compile(pattern, re.IGNORECASE)
		parsed = _sre_parse.parse(pattern, re.IGNORECASE)
	except re.error as e:
		return f"regex {pattern!r} is invalid: {e}"
	except (RecursionError, OverflowError):
		return f"regex {pattern!r} is nested too deeply"
	hazard = _ReDoS(parsed).hazard()
	if hazard:
		return f"regex {pattern!r} can take exponential or polynomial time ({hazard}); rewrite it"
	return None


@lru_cache(maxsize=2048)
def _rule_problems(field: str, operator: str, value: str, team: str) -> tuple[tuple[str, str], ...]:
	problems: list[tuple[str, str]] = []
	if field not in FIELDS:
		problems.append(("field", f"unknown field {field!r}; use one of {', '.join(FIELDS)}"))
	if operator not in OPERATORS:
		problems.append(("operator", f"unknown operator {operator!r}; use one of {', '.join(OPERATORS)}"))
	if not isinstance(value, str) or not value.strip():
		problems.append(("value", "is empty; a rule needs a word, an address or a pattern to look for"))
	elif operator == "regex":
		problem = regex_problem(value)
		if problem:
			problems.append(("value", problem))
	if not isinstance(team, str) or not team.strip():
		problems.append(("team", "is required: the team the matching messages go to"))
	return tuple(problems)


# --- routing ---------------------------------------------------------------------------------------------


def route(source: Source, message: Message) -> Routing:
	"""The team (and weight) for a new message from ``source``: the first matching rule, else the default."""
	for index, rule in enumerate(source.rules):
		if _rule_problems(rule.field, rule.operator, rule.value, rule.team):
			continue
		if matches(rule, message):
			return Routing(
				rule.team,
				source.weight,
				index,
				f"rule {index + 1} ({rule.field} {rule.operator} {rule.value!r}) matched",
			)
	return Routing(
		source.default_team, source.weight, None, f"no rule matched; default team of source {source.name!r}"
	)


def matches(rule: Rule, message: Message) -> bool:
	"""Whether one (valid) rule matches the message, ignoring case."""
	text = field_text(message, rule.field)
	if rule.operator == "contains":
		return rule.value.strip().casefold() in text.casefold()
	if rule.operator == "equals":
		return rule.value.strip().casefold() == text.strip().casefold()
	if rule.operator == "regex":
		return _compiled(rule.value).search(text[:REGEX_TEXT_LIMIT]) is not None
	raise FieldError("operator", f"must be one of {', '.join(OPERATORS)}, not {rule.operator!r}")


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
	return re.compile(pattern, re.IGNORECASE)


# --- catastrophic backtracking ---------------------------------------------------------------------------

_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT}
_POSSESSIVE = getattr(_sre, "POSSESSIVE_REPEAT", None)
_ATOMIC = getattr(_sre, "ATOMIC_GROUP", None)
_UNBOUNDED = 50  # a repeat allowing this many or more counts as unbounded
_CATEGORIES = {
	_sre.CATEGORY_DIGIT: r"\d",
	_sre.CATEGORY_NOT_DIGIT: r"\D",
	_sre.CATEGORY_SPACE: r"\s",
	_sre.CATEGORY_NOT_SPACE: r"\S",
	_sre.CATEGORY_WORD: r"\w",
	_sre.CATEGORY_NOT_WORD: r"\W",
}


class _ReDoS:
	"""A static look for the shapes that make a backtracking matcher blow up.

	Character sets are computed exactly over a finite universe: Latin-1 and the next few blocks, plus every
	character the pattern names, so ``\\w`` and ``é`` overlap as they do for ``re``.
	"""

	def __init__(self, parsed):
		self.parsed = parsed
		universe = set(range(0x300))
		self._collect(parsed, universe)
		for c in list(universe):
			universe.update(ord(v) for v in (chr(c).lower(), chr(c).upper()) if len(v) == 1)
		self.universe = frozenset(universe)
		self.problem: str | None = None
		self._classes: dict[int, frozenset[int]] = {}  # by id() of the parse tree's lists, alive meanwhile

	def hazard(self) -> str | None:
		self._walk(list(self.parsed), follow=None)
		return self.problem

	# the universe and character sets

	def _collect(self, seq, out: set[int]) -> None:
		for op, av in seq:
			if op in (_sre.LITERAL, _sre.NOT_LITERAL):
				out.add(av)
			elif op == _sre.RANGE:
				out.update((av[0], av[1]))
			elif op == _sre.IN:
				self._collect(av, out)
			for child in self._children(op, av):
				self._collect(child, out)

	@staticmethod
	def _children(op, av) -> list:
		if op in _REPEATS or op == _POSSESSIVE:
			return [av[2]]
		if op == _sre.SUBPATTERN:
			return [av[-1]]
		if op == _ATOMIC:
			return [av]
		if op == _sre.BRANCH:
			return list(av[1])
		if op in (_sre.ASSERT, _sre.ASSERT_NOT):
			return [av[1]]
		if op == _sre.GROUPREF_EXISTS:
			return [p for p in av[1:] if p is not None]
		return []

	def _variants(self, c: int) -> set[int]:
		return {c} | {ord(v) for v in (chr(c).lower(), chr(c).upper()) if len(v) == 1}

	def _class(self, items) -> frozenset[int]:
		cached = self._classes.get(id(items))
		if cached is None:
			cached = self._classes[id(items)] = self._compute_class(items)
		return cached

	def _compute_class(self, items) -> frozenset[int]:
		chars: set[int] = set()
		negate = False
		for op, av in items:
			if op == _sre.NEGATE:
				negate = True
			elif op == _sre.LITERAL:
				chars |= self._variants(av)
			elif op == _sre.RANGE:
				for c in self.universe:
					if av[0] <= c <= av[1]:
						chars |= self._variants(c)
			elif op == _sre.CATEGORY and av in _CATEGORIES:
				pattern = re.compile(_CATEGORIES[av])
				chars |= {c for c in self.universe if pattern.match(chr(c))}
			else:
				chars |= self.universe
		return self.universe - chars if negate else frozenset(chars)

	def chars(self, op, av) -> frozenset[int]:
		"""Every character the item can consume (anywhere, not only first)."""
		if op == _sre.LITERAL:
			return frozenset(self._variants(av))
		if op == _sre.NOT_LITERAL:
			return self.universe - self._variants(av)
		if op == _sre.ANY:
			return self.universe
		if op == _sre.IN:
			return self._class(av)
		if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
			return frozenset()
		if op == _sre.GROUPREF:
			return self.universe
		out: frozenset[int] = frozenset()
		for child in self._children(op, av):
			for item in child:
				out |= self.chars(*item)
		return out

	def first(self, seq) -> tuple[frozenset[int], bool]:
		"""The characters ``seq`` can start with, and whether it can match the empty string."""
		out: frozenset[int] = frozenset()
		for op, av in seq:
			chars, nullable = self._first_item(op, av)
			out |= chars
			if not nullable:
				return out, False
		return out, True

	def _first_item(self, op, av) -> tuple[frozenset[int], bool]:
		if op in (_sre.LITERAL, _sre.NOT_LITERAL, _sre.ANY, _sre.IN):
			return self.chars(op, av), False
		if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
			return frozenset(), True
		if op in _REPEATS or op == _POSSESSIVE:
			chars, nullable = self.first(av[2])
			return chars, nullable or av[0] == 0
		if op == _sre.SUBPATTERN:
			return self.first(av[-1])
		if op == _ATOMIC:
			return self.first(av)
		if op == _sre.BRANCH:
			firsts = [self.first(alt) for alt in av[1]]
			return frozenset().union(*(f[0] for f in firsts)), any(f[1] for f in firsts)
		if op == _sre.GROUPREF_EXISTS:
			yes = self.first(av[1])
			no = self.first(av[2]) if av[2] is not None else (frozenset(), True)
			return yes[0] | no[0], yes[1] or no[1]
		return self.universe, True  # a back-reference: anything, possibly nothing

	# the walk

	def _flag(self, reason: str) -> None:
		if self.problem is None:
			self.problem = reason

	def _walk(self, seq: list, follow: frozenset[int] | None) -> None:
		"""``follow`` is None outside any repeat; inside one, the characters that may come after ``seq``
		(the next round of the repeat, among others)."""
		for i, (op, av) in enumerate(seq):
			if self.problem:
				return
			after = None
			if follow is not None:
				rest, nullable = self.first(seq[i + 1 :])
				after = rest | follow if nullable else rest
			if op in _REPEATS:
				low, high, body = av
				if after is not None and high > low and self.chars(op, av) & after:
					self._flag("a repeat inside a repeat can match the same text in more than one way")
					return
				self._polynomial(seq, i)
				if high > 1:
					inner_follow = self.first(body)[0] | (after or frozenset())
					self._walk(list(body), inner_follow)
				else:
					self._walk(list(body), after)
			elif op == _POSSESSIVE or op == _ATOMIC:
				self._walk(list(av[2] if op == _POSSESSIVE else av), None)
			elif op == _sre.BRANCH:
				if after is not None:
					firsts = [self.first(alt) for alt in av[1]]
					if sum(1 for _, nullable in firsts if nullable) > 1 or any(
						a[0] & b[0] for j, a in enumerate(firsts) for b in firsts[j + 1 :]
					):
						self._flag("alternatives inside a repeat can match the same text")
						return
				for alt in av[1]:
					self._walk(list(alt), after)
			else:
				if op == _sre.SUBPATTERN:
					self._polynomial(seq, i)
				for child in self._children(op, av):
					self._walk(list(child), after)

	@staticmethod
	def _unbounded(op, av) -> bool:
		"""An unbounded backtracking repeat, bare or as the only thing in a group."""
		while op == _sre.SUBPATTERN and len(av[-1]) == 1:
			op, av = av[-1][0]
		return op in _REPEATS and av[1] >= _UNBOUNDED

	def _polynomial(self, seq: list, i: int) -> None:
		"""Two unbounded repeats with nothing between them that only one of them could match."""
		op, av = seq[i]
		if not self._unbounded(op, av):
			return
		common = self.chars(op, av)
		for op2, av2 in seq[i + 1 :]:
			if self._unbounded(op2, av2):
				if common & self.chars(op2, av2):
					self._flag("two unbounded repeats can share the same text")
				return
			if op2 in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
				continue
			common = common & self.chars(op2, av2)
			if not common:
				return


def unique_teams(sources: Iterable[Source]) -> list[str]:
	"""Every team the sources can route to (default teams and rule teams), in first-seen order."""
	seen: dict[str, None] = {}
	for source in sources:
		for team in (source.default_team, *(rule.team for rule in source.rules)):
			if team:
				seen.setdefault(team, None)
	return list(seen)
