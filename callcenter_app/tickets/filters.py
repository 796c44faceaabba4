"""Ticket sources and keyword filters: which team a new message goes to, and with which weight. Pure.

A **source** (a mailbox, an SMS number, a phone line, a web form) has a weight (tickets from heavier
sources are distributed first), a default team and ordered keyword **rules**. The first rule that matches
the message sets the team; when none does, the source's default team gets it. Every comparison ignores
case.

Rules are checked when they are saved (:func:`check_rules`). A regex is written in Python's syntax, is at
most :data:`MAX_REGEX_LENGTH` characters, and is matched by RE2 (google-re2), an automaton engine whose
time is linear in the text whatever the pattern, so no pattern can backtrack catastrophically (``(a|aa)+$``
is as cheap as ``refund``). Python's parser reads the pattern and :class:`_RE2Writer` writes it out for RE2
with the same meaning (Unicode ``\\d``, ``\\w``, ``\\s`` and ``\\b`` as in Python); what RE2 cannot run
(backreferences, lookahead and lookbehind, conditional and atomic groups, counts above
:data:`MAX_REPEAT_COUNT`) is refused with the reason. A regex looks at the first :data:`REGEX_TEXT_LIMIT`
characters of a field; ``contains`` and ``equals`` see all of it. A rule that fails the checks never
matches in :func:`route` (it cannot have been saved, but the core does not trust that).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from functools import cache, lru_cache
from typing import Any, NoReturn

import re2

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
REGEX_TEXT_LIMIT = 2000  # characters of a field a regex looks at: bounds the work of each regex rule


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
	"""Why ``pattern`` cannot be a filter, or None when it can (length, syntax, what the engine can run)."""
	if len(pattern) > MAX_REGEX_LENGTH:
		return f"regex is {len(pattern)} characters long; the limit is {MAX_REGEX_LENGTH}"
	try:
		compile_regex(pattern)
	except RegexRefused as e:
		return f"regex {pattern!r} {e}"
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
		return compile_regex(rule.value).search(text)
	raise FieldError("operator", f"must be one of {', '.join(OPERATORS)}, not {rule.operator!r}")


# --- the regex engine -------------------------------------------------------------------------------------
#
# Admins write Python regex syntax. Python's own parser reads a pattern (it never runs it); the parse tree is
# written out again as an RE2 pattern, and RE2, an automaton engine whose time is linear in the text whatever
# the pattern, does all the matching. What RE2 cannot run (backreferences, lookaround, ...) is refused with
# the reason. Python's ``re`` runs only the fixed patterns of this module.

MARKER = "\ufdd0"  # a noncharacter; put into the text at each word boundary when a pattern has \b or \B
MAX_REPEAT_COUNT = 1000  # the largest count in {m,n} that RE2 takes
_M = r"\x{FDD0}"
_STRAY = re.compile("[\ud800-\udfff\ufdd0]")  # lone surrogates (UTF-8 cannot carry them) and the marker
_BOUNDARY = re.compile(r"\b")  # Python's Unicode word boundary, the one the patterns mean
_ATOMS = frozenset({_sre.LITERAL, _sre.NOT_LITERAL, _sre.ANY, _sre.IN})
_REPEATS = frozenset({_sre.MAX_REPEAT, _sre.MIN_REPEAT})
_POSSESSIVE = getattr(_sre, "POSSESSIVE_REPEAT", None)  # Python 3.11+
_ATOMIC = getattr(_sre, "ATOMIC_GROUP", None)  # Python 3.11+
_NONE: frozenset[str] = frozenset()


class RegexRefused(ValueError):
	"""Why a regex cannot be a filter: a sentence that follows the pattern ("uses a backreference ...")."""


@dataclass(frozen=True)
class CompiledRegex:
	"""A filter regex, compiled for RE2. ``re2_pattern`` is what RE2 runs; with ``boundaries`` the text gets a
	:data:`MARKER` at each Unicode word boundary first (RE2's own ``\\b`` knows only ASCII letters)."""

	pattern: str
	re2_pattern: str
	boundaries: bool
	regex: Any  # re2's compiled pattern

	def search(self, text: str) -> bool:
		"""Whether the pattern matches in the first :data:`REGEX_TEXT_LIMIT` characters of ``text``."""
		text = _STRAY.sub("\ufffd", text[:REGEX_TEXT_LIMIT])
		if self.boundaries:
			text = _BOUNDARY.sub(MARKER, text)
		return self.regex.search(text) is not None


@lru_cache(maxsize=1024)
def compile_regex(pattern: str) -> CompiledRegex:
	"""``pattern`` (Python syntax, matched ignoring case) compiled for RE2, or :class:`RegexRefused`."""
	if len(pattern) > MAX_REGEX_LENGTH:
		raise RegexRefused(f"is {len(pattern)} characters long; the limit is {MAX_REGEX_LENGTH}")
	try:
		with warnings.catch_warnings():
			# what Python only warns about (a "[" that may one day open a nested set; on 3.10, a flag in the
			# middle of the pattern, an error from 3.11) is refused, the same on every version
			warnings.simplefilter("error")
			parsed = _sre_parse.parse(pattern, re.IGNORECASE)
		writer = _RE2Writer(_has_boundary(parsed))
		source = writer.pattern(parsed)
	except (re.error, OverflowError) as e:
		raise RegexRefused(f"is invalid: {e}")
	except Warning as e:
		raise RegexRefused(f"is ambiguous: {e}")
	except RecursionError:
		raise RegexRefused("is nested too deeply")
	try:
		regex = re2.compile(source, _RE2_OPTIONS)
	except re2.error as e:
		raise RegexRefused(_re2_reason(e))
	return CompiledRegex(pattern, source, writer.boundaries, regex)


def _re2_options():
	options = re2.Options()
	options.log_errors = False  # the reason goes to the admin, not to stderr
	return options


_RE2_OPTIONS = _re2_options()


def _re2_reason(error: Exception) -> str:
	message = error.args[0] if error.args else ""
	if isinstance(message, bytes):
		message = message.decode("utf-8", "replace")
	if "too large" in message:
		return (
			"is too large for the filter engine once compiled (a big count on a class, like \\w{1,500}); "
			"use smaller counts"
		)
	if "repetition" in message:
		return (
			f"repeats too much: nested counts multiply to more than {MAX_REPEAT_COUNT}, "
			"the filter engine's limit"
		)
	return f"is refused by the filter engine: {message}"


def _refuse(reason: str) -> NoReturn:
	raise RegexRefused(reason)


@dataclass(frozen=True)
class _Shape:
	"""What a part of a pattern looks like from outside: whether it can match without consuming a character,
	and which zero-width assertions ("boundary" for \\b and \\B, "begin" for ^ and \\A, "end" for $ and \\Z)
	it can reach before its first and after its last character."""

	empty: bool
	starts: frozenset[str] = _NONE
	ends: frozenset[str] = _NONE


_CHAR = _Shape(False)


def _meet(before: frozenset[str], after: frozenset[str]) -> bool:
	"""Whether assertions of two parts that can sit at one place would be written in the wrong order: a \\b
	takes the place's marker, so nothing after it may test the place again, and ^ must come before it."""
	return ("boundary" in before and bool({"boundary", "begin"} & after)) or (
		"end" in before and "boundary" in after
	)


class _RE2Writer:
	"""Writes Python's parse tree of a pattern as an RE2 pattern with the same matches.

	Character classes are spelled out from Python's own definitions (``\\d`` is every decimal digit, ``\\w``
	every letter, digit and ``_`` of Unicode, ``\\s`` every Unicode space), so they mean what they meant.
	Case folding is RE2's (Unicode simple case folding).

	Word boundaries: RE2's ``\\b`` only knows ASCII letters, so when the pattern has ``\\b`` or ``\\B`` the
	text gets a :data:`MARKER` at every place where Python sees a word boundary, and the written pattern lets
	each character be preceded by a marker (``M?c``); ``\\b`` becomes ``M`` (takes the place's marker) and
	``\\B`` makes the next character take none. Classes never match the marker.
	"""

	def __init__(self, boundaries: bool):
		self.boundaries = boundaries

	def pattern(self, parsed) -> str:
		flags = parsed.state.flags
		self._check_flags(flags)
		body, _ = self.seq(list(parsed), flags, last=True)
		# with markers, a match must start where a place starts (not between a marker and its character)
		start = rf"(?:\A|[^{_M}])" if self.boundaries else ""
		return ("(?i)" if flags & re.IGNORECASE else "") + start + body

	@staticmethod
	def _check_flags(flags: int) -> None:
		if flags & re.ASCII:
			_refuse("uses the ASCII flag (?a), which filters do not support; write [0-9] for an ASCII digit")
		if flags & re.LOCALE:
			_refuse("uses the locale flag (?L), which filters do not support")

	def seq(self, items: list, flags: int, last: bool) -> tuple[str, _Shape]:
		"""``last``: nothing of the pattern can come after this sequence."""
		parts: list[tuple[str, _Shape]] = []
		i = 0
		while i < len(items):
			op, av = items[i]
			if op == _sre.AT:
				j = i
				while j < len(items) and items[j][0] == _sre.AT:
					j += 1
				after = items[j] if j < len(items) else None
				text, kinds, bare = self.assertions(
					[a for _, a in items[i:j]], flags, after, last and not after
				)
				if bare:  # \B and the character after it
					parts.append((text + self.atom(*items[j], flags, gap=False), _Shape(False, kinds)))
					j += 1
				else:
					parts.append((text, _Shape(True, kinds, kinds)))
				i = j
				continue
			parts.append(self.item(op, av, flags, last and i == len(items) - 1))
			i += 1
		shapes = [shape for _, shape in parts]
		if self.boundaries:
			reach = _NONE
			for shape in shapes:
				if _meet(reach, shape.starts):
					_refuse(
						"puts \\b or \\B where another assertion can be at the same place with nothing "
						"between them; write the assertions together, once"
					)
				reach = (reach | shape.ends) if shape.empty else shape.ends
		starts: set[str] = set()
		for shape in shapes:
			starts |= shape.starts
			if not shape.empty:
				break
		ends: set[str] = set()
		for shape in reversed(shapes):
			ends |= shape.ends
			if not shape.empty:
				break
		empty = all(shape.empty for shape in shapes)
		return "".join(text for text, _ in parts), _Shape(empty, frozenset(starts), frozenset(ends))

	def assertions(self, codes: list, flags: int, after, at_end: bool) -> tuple[str, frozenset[str], bool]:
		"""A run of zero-width assertions at one place: the RE2 text, their kinds, and whether the next
		character must be written without its marker (after \\B)."""
		multiline = bool(flags & re.MULTILINE)
		begin: dict[str, None] = {}
		end: dict[str, None] = {}
		boundary: set[str] = set()
		for code in codes:
			if code == _sre.AT_BEGINNING:
				begin["(?m:^)" if multiline else r"\A"] = None
			elif code == _sre.AT_BEGINNING_STRING:
				begin[r"\A"] = None
			elif code == _sre.AT_END and multiline:
				end["(?m:$)"] = None
			elif code == _sre.AT_END:
				if not at_end:  # Python's $ is also true before a final newline, which RE2 cannot look at
					_refuse(
						"uses $ before the end of the pattern; filters take $ only at the end, or with (?m)"
					)
				end[r"\n?\z"] = None
			elif code == _sre.AT_END_STRING:
				end[r"\z"] = None
			elif code == _sre.AT_BOUNDARY:
				boundary.add("b")
			elif code == _sre.AT_NON_BOUNDARY:
				boundary.add("B")
			else:
				_refuse(f"uses the assertion {code}, which filters do not support")
		kinds = frozenset(
			kind for kind, present in (("begin", begin), ("end", end), ("boundary", boundary)) if present
		)
		if boundary == {"b", "B"}:
			_refuse("puts \\b and \\B at the same place, so it can never match")
		bare = False
		if "b" in boundary:
			place = _M
		elif "B" in boundary:
			place = ""
			if end:
				pass  # the end comes next: no marker may be taken
			elif after is not None and after[0] in _ATOMS:
				bare = True
			elif at_end:
				place = rf"(?:[^{_M}]|\z)"
			else:
				_refuse(
					"uses \\B before something other than a character, a class or the end; "
					"filters take \\B only there"
				)
		else:
			place = f"{_M}?" if self.boundaries and end else ""
		return "".join(begin) + place + "".join(end), kinds, bare

	def item(self, op, av, flags: int, last: bool) -> tuple[str, _Shape]:
		if op in _ATOMS:
			return self.atom(op, av, flags, gap=True), _CHAR
		if op == _sre.BRANCH:
			alternatives = [self.seq(list(alt), flags, last) for alt in av[1]]
			shape = _Shape(
				any(s.empty for _, s in alternatives),
				frozenset().union(*(s.starts for _, s in alternatives)),
				frozenset().union(*(s.ends for _, s in alternatives)),
			)
			return "(?:" + "|".join(text for text, _ in alternatives) + ")", shape
		if op == _sre.SUBPATTERN:
			_group, add, remove, body = av
			self._check_flags(add)
			text, shape = self.seq(list(body), (flags | add) & ~remove, last)
			opening = "(?i:" if add & re.IGNORECASE else "(?-i:" if remove & re.IGNORECASE else "(?:"
			return opening + text + ")", shape
		if op in _REPEATS:
			low, high, body = av
			for count in (low, high):
				if count != _sre.MAXREPEAT and count > MAX_REPEAT_COUNT:
					_refuse(f"uses the count {count}; filters count to {MAX_REPEAT_COUNT} at most")
			text, shape = self.seq(list(body), flags, last and high <= 1)
			if self.boundaries and high > 1 and _meet(shape.ends, shape.starts):
				_refuse(
					"repeats a part that starts and ends with \\b or \\B, so two can be at the same place; "
					"write the assertions outside the repeat"
				)
			return f"(?:{text}){_quantifier(low, high)}", _Shape(
				low == 0 or shape.empty, shape.starts, shape.ends
			)
		if op == _POSSESSIVE or op == _ATOMIC:
			_refuse(
				"uses an atomic group (?>...) or a possessive repeat (*+, ++, ?+), "
				"which filters do not support"
			)
		if op == _sre.GROUPREF:
			_refuse("uses a backreference (\\1 or (?P=name)): backreferences are not supported")
		if op == _sre.GROUPREF_EXISTS:
			_refuse("uses a conditional group (?(1)...): conditional groups are not supported")
		if op in (_sre.ASSERT, _sre.ASSERT_NOT):
			kind = ("lookahead" if av[0] > 0 else "lookbehind") + (" (?=...)" if av[0] > 0 else " (?<=...)")
			if op == _sre.ASSERT_NOT:
				kind = "negative " + kind.replace("=", "!")
			_refuse(f"uses a {kind}: lookahead and lookbehind are not supported")
		_refuse(f"uses {op}, which filters do not support")

	def atom(self, op, av, flags: int, gap: bool) -> str:
		if op == _sre.LITERAL:
			text = _char(av)
		elif op == _sre.NOT_LITERAL:
			text = f"[^{_char(av)}{_M}]"
		elif op == _sre.ANY:
			text = f"[^{_M}]" if flags & re.DOTALL else rf"[^\n{_M}]"
		else:
			text = _char_class(av)
		return f"(?:{_M}?{text})" if self.boundaries and gap else text


def _quantifier(low: int, high: int) -> str:
	if high == _sre.MAXREPEAT:
		return {0: "*", 1: "+"}.get(low, f"{{{low},}}")
	if (low, high) == (0, 1):
		return "?"
	return f"{{{low}}}" if low == high else f"{{{low},{high}}}"


def _char(code: int) -> str:
	if 0xD800 <= code <= 0xDFFF or code == ord(MARKER):
		_refuse(f"names the code point U+{code:04X}, which never occurs in a text that filters see")
	return f"\\x{{{code:X}}}"


def _char_class(items) -> str:
	"""A class. Python does not case-fold ``\\d``, ``\\s`` and ``\\w`` (RE2 would: U+0345 folds to the
	letter ι), so a class of those alone is written case-sensitive; in a class that mixes them with
	characters RE2 folds it all, which differs from Python only for U+0345 and the Greek iotas."""
	negate = False
	parts: list[str] = []
	categories_only = True
	for op, av in items:
		if op == _sre.NEGATE:
			negate = True
		elif op == _sre.CATEGORY:
			parts.append(_category(av))
		else:
			categories_only = False
			if op == _sre.LITERAL:
				parts.append(_char(av))
			elif op == _sre.RANGE:
				parts.append(_spans(_without_strays([av])))
			else:
				_refuse(f"uses {op} in a class, which filters do not support")
	body = "".join(parts)
	if negate:
		text = f"[^{body}{_M}]"
	else:
		text = (
			f"[{body}]" if body else r"[^\x{0}-\x{10FFFF}]"
		)  # only code points no text holds: never matches
	return f"(?-i:{text})" if categories_only else text


def _spans(spans: Iterable[tuple[int, int]]) -> str:
	return "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in spans)


def _without_strays(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
	"""The spans less the surrogates and the marker (the text a regex sees holds neither)."""
	out = []
	for a, b in spans:
		for low, high in ((a, min(b, 0xD7FF)), (max(a, 0xE000), min(b, 0xFDCF)), (max(a, 0xFDD1), b)):
			if low <= high:
				out.append((low, high))
	return out


@cache
def _category(code) -> str:
	"""Python's ``\\d``, ``\\s``, ``\\w`` (and ``\\D``, ``\\S``, ``\\W``) for str patterns, as RE2 spans."""
	positive = {
		_sre.CATEGORY_DIGIT: r"\d+",
		_sre.CATEGORY_SPACE: r"\s+",
		_sre.CATEGORY_WORD: r"\w+",
	}
	negative = {
		_sre.CATEGORY_NOT_DIGIT: _sre.CATEGORY_DIGIT,
		_sre.CATEGORY_NOT_SPACE: _sre.CATEGORY_SPACE,
		_sre.CATEGORY_NOT_WORD: _sre.CATEGORY_WORD,
	}
	if code in negative:
		spans = _category_spans(positive[negative[code]])
		gaps, start = [], 0
		for a, b in spans:
			if a > start:
				gaps.append((start, a - 1))
			start = b + 1
		if start <= 0x10FFFF:
			gaps.append((start, 0x10FFFF))
		return _spans(_without_strays(gaps))
	if code in positive:
		return _spans(_without_strays(_category_spans(positive[code])))
	_refuse(f"uses the class {code}, which filters do not support")


@cache
def _category_spans(fixed_pattern: str) -> tuple[tuple[int, int], ...]:
	every = "".join(map(chr, range(0x110000)))
	return tuple((m.start(), m.end() - 1) for m in re.finditer(fixed_pattern, every))


def _has_boundary(parsed) -> bool:
	for op, av in parsed:
		if op == _sre.AT and av in (_sre.AT_BOUNDARY, _sre.AT_NON_BOUNDARY):
			return True
		if any(_has_boundary(child) for child in _children(op, av)):
			return True
	return False


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


def unique_teams(sources: Iterable[Source]) -> list[str]:
	"""Every team the sources can route to (default teams and rule teams), in first-seen order."""
	seen: dict[str, None] = {}
	for source in sources:
		for team in (source.default_team, *(rule.team for rule in source.rules)):
			if team:
				seen.setdefault(team, None)
	return list(seen)
