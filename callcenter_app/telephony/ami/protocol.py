"""The Asterisk Manager Interface wire format: an incremental frame parser and action encoding.

A frame is ``Key: Value`` lines ending in CRLF, closed by an empty line; the server first sends a banner
line (``Asterisk Call Manager/11.0.0``). The parser takes whatever the socket gives (64 KiB reads, frames
split anywhere) and returns complete messages as dicts. A line without ``": "`` inside a frame is a
malformed frame: the parser counts it, drops that frame and carries on with the next, so one bad frame
never takes the connection down. ``Output:`` lines (Command responses, which repeat the header) are kept
joined by newlines rather than losing all but the last, pyst2's limitation.

Why not pyst2's ``Manager``: it reads the socket one byte per system call; tests/data/asterisk/SOURCE.md
measured it near 1,000 events/s, and benchmarks/bench_ami.py repeats the comparison on this machine.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import time
from dataclasses import dataclass

log = logging.getLogger("callcenter.ami")

BANNER = re.compile(rb"^Asterisk Call Manager/(\S+)")
MAX_FRAME = 1 << 20  # a frame larger than this is garbage, not AMI
_UNSAFE = re.compile(r"[\r\n]")


# an event's Timestamp must fall between these: Asterisk stamps events with its wall clock, so anything
# before 2000 or more than a day ahead of ours is a broken clock or a forged frame, never a call
EARLIEST_TIMESTAMP = 946_684_800.0  # 2000-01-01 UTC
MAX_AHEAD_S = 86_400.0


class ProtocolError(ValueError):
	pass


def parse_timestamp(value: str, now: float | None = None) -> float:
	"""An event's ``Timestamp`` (epoch seconds, as Asterisk's ``timestampevents`` writes them) as a float.

	Refused with a ProtocolError naming the field: text that is not a number, ``inf``/``nan``, and
	values before 2000-01-01 or more than a day after ``now`` (default: this machine's clock)."""
	try:
		ts = float(value)
	except (TypeError, ValueError):
		raise ProtocolError(f"Timestamp: {str(value)[:40]!r} is not a number of seconds") from None
	if not math.isfinite(ts):
		raise ProtocolError(f"Timestamp: {str(value)[:40]!r} is not a finite number")
	latest = (time.time() if now is None else now) + MAX_AHEAD_S
	if not EARLIEST_TIMESTAMP <= ts <= latest:
		raise ProtocolError(
			f"Timestamp: {ts:.0f} is outside 2000-01-01 .. a day from now: not a time a call can happen at"
		)
	return ts


@dataclass
class FrameParser:
	"""Feed bytes, get messages. ``malformed`` counts frames dropped as not AMI."""

	banner: str | None = None
	malformed: int = 0
	_buffer: bytes = b""
	_expect_banner: bool = True
	_sep: bytes | None = None

	def feed(self, data: bytes) -> list[dict[str, str]]:
		buf = self._buffer + data
		out: list[dict[str, str]] = []
		if self._expect_banner:
			end = buf.find(b"\n")
			if end < 0 and len(buf) <= MAX_FRAME:
				self._buffer = buf
				return out
			if end < 0:  # no line end in a megabyte: not Asterisk's banner; read frames from here on
				end = MAX_FRAME
			line = buf[:end].rstrip(b"\r")
			m = BANNER.match(line)
			if m:
				self.banner = m.group(1).decode("ascii", "replace")
				buf = buf[end + 1 :]
			self._expect_banner = False
		if self._sep is None and b"\n" in buf:
			# Asterisk ends lines in CRLF; a peer that sends bare LF is read too (decided once)
			self._sep = b"\r\n\r\n" if b"\r\n" in buf else b"\n\n"
		sep = self._sep or b"\r\n\r\n"
		start = 0
		while True:
			end = buf.find(sep, start)
			if end < 0:
				break
			frame = buf[start:end]
			start = end + len(sep)
			if not frame.strip():
				continue
			message = self._parse(frame)
			if message is not None:
				out.append(message)
		rest = buf[start:]
		if len(rest) > MAX_FRAME:
			self.malformed += 1
			log.warning("AMI: dropped %d bytes without a frame end", len(rest))
			rest = b""
		self._buffer = rest
		return out

	def _parse(self, frame: bytes) -> dict[str, str] | None:
		message: dict[str, str] = {}
		text = frame.decode("utf-8", "replace")
		for line in text.split("\r\n") if self._sep == b"\r\n\r\n" else text.split("\n"):
			key, sep, value = line.partition(": ")
			if not sep:
				key, sep, value = line.rstrip("\r").partition(":")  # "Key:" with an empty value
				if not line:
					continue
			if not sep or not key or " " in key:
				self.malformed += 1
				log.warning("AMI: malformed frame skipped (line %r)", line[:80])
				return None
			if key in message and key == "Output":
				message[key] += "\n" + value
			else:
				message[key] = value
		return message or None


_action_ids = itertools.count(1)


def next_action_id(prefix: str = "cc") -> str:
	return f"{prefix}-{next(_action_ids)}"


def encode_action(
	action: str, fields: dict[str, object] | None = None, variables: dict | None = None
) -> bytes:
	"""One action frame. Values with a line break are refused: they would smuggle in another action."""
	lines = [("Action", action)]
	for key, value in (fields or {}).items():
		if value is None:
			continue
		lines.append((key, value))
	for key, value in (variables or {}).items():
		lines.append(("Variable", f"{key}={value}"))
	out = []
	for key, value in lines:
		text = str(value)
		if _UNSAFE.search(text) or _UNSAFE.search(key) or ":" in key:
			raise ProtocolError(f"AMI {action}: field {key} must not contain a line break")
		out.append(f"{key}: {text}\r\n")
	out.append("\r\n")
	return "".join(out).encode("utf-8")
