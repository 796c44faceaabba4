"""Files written whole or not at all (temporary file + rename), with their mode set before any byte."""

from __future__ import annotations

import os
import tempfile


def write_atomic(path: str, data: bytes | str, mode: int) -> str:
	"""Write ``data`` to ``path`` through a temporary file in the same folder, then rename it over the
	target: a reader (Asterisk reloading, a caller's Playback) sees the old file or the new one, never half."""
	folder = os.path.dirname(path) or "."
	fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
	try:
		os.fchmod(fd, mode)
		with os.fdopen(
			fd,
			"wb" if isinstance(data, bytes) else "w",
			**({} if isinstance(data, bytes) else {"encoding": "utf-8"}),
		) as f:
			f.write(data)
		os.replace(tmp, path)
	except BaseException:
		if os.path.exists(tmp):
			os.unlink(tmp)
		raise
	return path
