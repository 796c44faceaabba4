"""The AGI wire protocol: the environment Asterisk sends first, commands, and their replies.

pyst2's ``asterisk.agi.AGI`` speaks the same protocol but is bound to blocking stdin/stdout, installs a
SIGHUP handler when constructed (impossible outside the main thread) and writes every line to stderr; its
response regex also misses ``200 result= (timeout)``. So the FastAGI server parses with the functions
here, which are small, strict about what they accept and safe against argument injection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from callcenter_app.telephony.routing.model import is_dial_number, is_mailbox, is_queue_name, is_sound_name

MAX_ENV_LINES = 200
MAX_LINE = 16384  # also the most an environment may take

_ENV_KEY = re.compile(r"agi_[a-z0-9_]+")
_RESPONSE = re.compile(
	r"^(?P<code>\d{3})(?P<sep>[ -])(?:result=(?P<result>\S*))?\s*(?:\((?P<data>[^)]*)\))?(?P<rest>.*)$"
)


class AGIProtocolError(Exception):
	"""The peer sent something that is not AGI."""


class AGIHangup(Exception):
	"""The channel is gone: the caller hung up (or Asterisk ended the call)."""


class AGICommandError(Exception):
	"""Asterisk refused a command (510 invalid command, 520 usage)."""


@dataclass(frozen=True)
class Response:
	code: int
	result: str  # the value after result= ('' when absent or empty)
	data: str  # the text in parentheses, e.g. the variable's value or 'timeout'
	line: str

	@property
	def ok(self) -> bool:
		return self.code == 200


def parse_env_line(line: str) -> tuple[str, str]:
	"""``agi_channel: SIP/100-0001`` → (key, value). Raises AGIProtocolError for anything else."""
	key, sep, value = line.partition(":")
	key = key.strip()
	if not sep or not key.startswith("agi_") or not _ENV_KEY.fullmatch(key):
		raise AGIProtocolError(f"not an AGI environment line: {line[:80]!r}")
	return key, value.strip()


def check_env(env: dict[str, str]) -> None:
	for key in ("agi_channel", "agi_uniqueid"):
		if not env.get(key):
			raise AGIProtocolError(f"the AGI environment has no {key}")


def parse_response(line: str) -> Response:
	match = _RESPONSE.match(line)
	if not match:
		raise AGIProtocolError(f"not an AGI response: {line[:80]!r}")
	return Response(int(match["code"]), match["result"] or "", match["data"] or "", line)


_UNSAFE = re.compile(r'[\r\n\0"\\]')


def quote(value: object) -> str:
	"""One AGI argument in double quotes. Line breaks, quotes and backslashes are refused, not escaped:
	nothing the router sends legitimately contains them, and anything that does is an injection."""
	text = str(value)
	if _UNSAFE.search(text):
		raise UnsafeArgument(f"unsafe AGI argument {text[:40]!r}")
	return f'"{text}"'


# In an application's argument these separate arguments (',' '|'), targets or files ('&'), options ('(' ')'),
# or are expanded ('$' '{' '}' '[' ']', e.g. with AGIEXECFULL=yes); none belongs in what the router sends.
_APP_UNSAFE = re.compile(r'[,|&(){}\[\]$;^\r\n\0"\\]')


class UnsafeArgument(ValueError):
	"""A value for an AGI command or application argument failed its allow-list; nothing was sent."""


_TAG = re.compile(r'[^\x00-\x1f\x7f"\\${}\[\]]{0,200}')  # a channel variable's free text: never expanded


def _is_tag(value: object) -> bool:
	return isinstance(value, str) and _TAG.fullmatch(value) is not None and value.isprintable()


_KINDS = {
	"tag": (_is_tag, "plain text for a channel variable (no quotes, '$', braces or brackets)"),
	"queue": (is_queue_name, "a queue name (1-64 letters, digits, '-' or '_')"),
	"number": (is_dial_number, "a number in E.164 (+ and digits) or an extension (up to 6 digits)"),
	"sound": (is_sound_name, "a sound name (letters, digits, '-', '_', '.' and '/')"),
	"mailbox": (is_mailbox, "a mailbox (box or box@context)"),
}


def checked(kind: str, value: object) -> str:
	"""``value`` if it is a valid ``kind`` ('queue', 'number', 'sound', 'mailbox', 'tag'), else UnsafeArgument.
	Every value the route server passes to Asterisk goes through here before it is quoted."""
	test, what = _KINDS[kind]
	if not test(value):
		raise UnsafeArgument(f"{str(value)[:60]!r} is not {what}")
	return str(value)


def app_args(*parts: object) -> str:
	"""Arguments for ``EXEC App``: joined with commas, each free of separators, expansions and quotes."""
	texts = ["" if p is None else str(p) for p in parts]
	for text in texts:
		if _APP_UNSAFE.search(text):
			raise UnsafeArgument(f"unsafe application argument {text[:40]!r}")
	while texts and texts[-1] == "":
		texts.pop()
	return quote(",".join(texts))
