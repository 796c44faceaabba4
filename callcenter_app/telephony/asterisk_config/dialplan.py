"""Asterisk's extension patterns, as Asterisk reads them, so generated dialplan can be checked in a test.

An extension that starts with ``_`` is a pattern: ``X`` is any digit, ``Z`` 1-9, ``N`` 2-9 (all three in
either case), ``[...]`` a set of characters with ranges, ``.`` one or more characters of any kind and ``!``
zero or more; every other character stands for itself. A generated name such as ``_listen-.`` therefore
does not mean "listen-" followed by anything: its ``n`` is a digit 2-9 (the live fault: it matched
``liste5-ann``, never ``listen-ann``). ``literal`` writes a fixed prefix so that it means itself.

``-`` is "eye candy" (``NXX-XXXX``): Asterisk skips it in the pattern *and* in the extension dialled
(pbx.c, ``candidate_exten_advance``), so ``whisper-ann`` is matched as ``whisperann`` and a ``-`` can never
be matched by anything, not even ``[-]`` (the second live fault: ``_whisper[-].`` matched nothing on
Asterisk 22, so every listen/whisper/barge was "Extension does not exist"). ``${EXTEN}`` keeps the dash.

Pure: no Frappe, no Asterisk.
"""

from __future__ import annotations

import re

_LETTERS = {"x": "[0-9]", "z": "[1-9]", "n": "[2-9]"}
_SPECIAL = set("xXzZnN.![]_")


def literal(text: str) -> str:
	"""``text`` written as pattern characters that match exactly ``text`` (pattern letters in brackets; a
	``-`` stays bare: Asterisk skips it on both sides, and ``[-]`` would match nothing)."""
	out = []
	for c in text:
		if c in "[]":
			raise ValueError(f"{text!r}: brackets cannot be written literally in an extension pattern")
		out.append(f"[{c}]" if c in _SPECIAL else c)
	return "".join(out)


def to_regex(pattern: str) -> re.Pattern:
	"""The regular expression equivalent to an extension (pattern or plain name), for an extension whose
	dashes were removed first (``matches`` does it), as Asterisk skips them."""
	if not pattern.startswith("_"):
		return re.compile(re.escape(pattern.replace("-", "")))
	out, i, body = [], 0, pattern[1:]
	while i < len(body):
		c = body[i]
		if c.lower() in _LETTERS:
			out.append(_LETTERS[c.lower()])
		elif c == ".":
			out.append(".+")
		elif c == "!":
			out.append(".*")
		elif c == "-":
			pass  # eye candy: skipped
		elif c == "[":
			end = body.index("]", i)
			out.append("[" + "".join("\\" + ch if ch in "\\^" else ch for ch in body[i + 1 : end]) + "]")
			i = end
		else:
			out.append(re.escape(c))
		i += 1
	return re.compile("".join(out), re.DOTALL)


def matches(pattern: str, exten: str) -> bool:
	"""Whether Asterisk would run ``pattern`` for the dialled ``exten`` (dashes skipped in both)."""
	return to_regex(pattern).fullmatch(exten.replace("-", "")) is not None


def extensions(text: str) -> dict[str, list[str]]:
	"""``context -> [extension, ...]`` of an extensions.conf text (``exten =>`` lines, first field)."""
	out: dict[str, list[str]] = {}
	context = None
	for raw in text.splitlines():
		line = raw.split(";", 1)[0].strip()
		if line.startswith("[") and "]" in line:
			context = line[1 : line.index("]")]
			out.setdefault(context, [])
		elif context and line.startswith("exten") and "=>" in line:
			name = line.split("=>", 1)[1].split(",", 1)[0].strip()
			if name not in out[context]:
				out[context].append(name)
	return out
