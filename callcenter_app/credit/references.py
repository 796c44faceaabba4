"""ISO 11649 creditor references ("RF" references) for bank-transfer top-ups.

``RF`` + 2 check digits + 1 to 21 letters/digits. The check digits make ``body + "RF" + check`` (letters as
numbers, A = 10 … Z = 35) equal 1 modulo 97, so a mistyped digit or two swapped ones is caught. Printed in
groups of four: ``RF18 5390 0754 7034``.

Finding a reference in remittance text (banks add or drop spaces, change case, wrap lines, glue words):
the text is upper-cased and cut into tokens of letters and digits; a reference starts at a token that
begins with ``RF`` + 2 digits and is that token joined with 0 or more following ones (25 characters at most).
Of the valid joins, the only one is taken; when several are valid (a random string passes mod 97 once in 97
tries), the only one printed in groups of four; else none (ambiguous: the line goes to a person).
:func:`candidate_references` returns every valid join, so matching can check them against the references
actually issued.
"""

from __future__ import annotations

import re
import secrets

MAX_BODY = 21
# readable random bodies: no 0/O, 1/I/L that people and OCR confuse
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_BODY = re.compile(r"[0-9A-Z]{1,21}")
_TOKEN = re.compile(r"[0-9A-Za-z]+")


_LETTERS = str.maketrans({c: str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})  # A → "10" … Z → "35"


def _numeric(text: str) -> int:
	return int(text.translate(_LETTERS))


def check_digits(body: str) -> str:
	return f"{98 - _numeric(body + 'RF00') % 97:02d}"


def make_reference(body: str) -> str:
	"""The RF reference carrying ``body`` (1 to 21 letters or digits, any case)."""
	body = str(body).strip().upper()
	if not _BODY.fullmatch(body):
		raise ValueError(f"reference body: {body!r} is not 1 to {MAX_BODY} letters or digits")
	return f"RF{check_digits(body)}{body}"


def new_reference(length: int = 16, rng: secrets.SystemRandom | None = None) -> str:
	"""A random reference, ``length`` readable characters (about 5 bits each; 16 → 80 bits)."""
	if not 1 <= length <= MAX_BODY:
		raise ValueError(f"reference length: {length} is not 1 to {MAX_BODY}")
	choice = (rng or secrets.SystemRandom()).choice
	return make_reference("".join(choice(ALPHABET) for _ in range(length)))


def sequence_reference(sequence: int, prefix: str = "") -> str:
	"""A reference from a sequence number (e.g. the top-up's counter) and an optional short prefix:
	unique as long as the sequence is."""
	if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
		raise ValueError(f"reference sequence: {sequence!r} is not a whole number ≥ 0")
	return make_reference(f"{prefix}{sequence}")


def normalize(text: str) -> str:
	"""``"rf18 5390-0754 7034"`` → ``"RF18539007547034"`` (spaces and dashes dropped, upper case)."""
	return re.sub(r"[\s\-]", "", str(text or "")).upper()


def is_valid(reference: str) -> bool:
	return _valid(normalize(reference))


def _valid(ref: str) -> bool:
	"""``ref`` already normalised."""
	if len(ref) < 5 or len(ref) > 4 + MAX_BODY or not ref.startswith("RF") or not ref[2:4].isdigit():
		return False
	body = ref[4:]
	if not _BODY.fullmatch(body) or not "02" <= ref[2:4] <= "98":
		return False
	return _numeric(body + ref[:4]) % 97 == 1


def format_reference(reference: str) -> str:
	"""Groups of four, as printed on an invoice."""
	ref = normalize(reference)
	return " ".join(ref[i : i + 4] for i in range(0, len(ref), 4))


def _joins(tokens: list[str], i: int) -> list[tuple[str, bool]]:
	"""Valid references made of token ``i`` and the tokens after it: ``(reference, printed_in_groups)``."""
	found, ref, grouped = [], "", True
	for j in range(i, len(tokens)):
		if len(ref) + len(tokens[j]) > 4 + MAX_BODY:
			break
		if j > i and len(tokens[j - 1]) != 4:
			grouped = False
		ref += tokens[j]
		if _valid(ref):
			found.append((ref, grouped and len(tokens[j]) <= 4))
	return found


def candidate_references(text: str) -> list[str]:
	"""Every valid reference that some join of tokens in ``text`` makes, for checking against the
	references actually issued (a known one among them is a far stronger signal than the text alone)."""
	tokens = [t.upper() for t in _TOKEN.findall(str(text or ""))]
	out: list[str] = []
	for i, tok in enumerate(tokens):
		if len(tok) >= 4 and tok.startswith("RF") and tok[2:4].isdigit():
			out += [ref for ref, _ in _joins(tokens, i) if ref not in out]
	return out


def find_references(text: str) -> list[str]:
	"""The valid RF references in ``text``, normalised, in order, each once. Per starting ``RF`` token: the
	only valid join, else the only one printed in groups of four; several → ambiguous, none taken."""
	tokens = [t.upper() for t in _TOKEN.findall(str(text or ""))]
	found: list[str] = []
	for i, tok in enumerate(tokens):
		if not (len(tok) >= 4 and tok.startswith("RF") and tok[2:4].isdigit()):
			continue
		joins = _joins(tokens, i)
		if len(joins) > 1:
			joins = [j for j in joins if j[1]]
		if len(joins) == 1 and joins[0][0] not in found:
			found.append(joins[0][0])
	return found


def find_reference(text: str) -> str | None:
	"""The one reference in ``text``; None when there is none or several different ones."""
	found = find_references(text)
	return found[0] if len(found) == 1 else None
