"""Write the site's announcements where Asterisk reads custom sounds: ``<sounds dir>/custom/cc-<slug>.wav``
as 8 kHz mono 16-bit PCM (``telephony/media.to_pbx_wav``). Pure: the caller hands over (sound name, audio).

Files are replaced atomically (a caller never hears half a file) and are world-readable (0644): Asterisk
runs as its own user, and announcements are what every caller hears anyway. Files of announcements that no
longer exist are removed, but only ``custom/cc-*.wav`` ones: the rest of the folder is not ours. A site
with a tenant prefix on a shared PBX writes ``custom/<prefix>-cc-<slug>.wav`` and removes only its own
(``Tenant.sound``), so two sites' announcements of the same name never overwrite each other.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from callcenter_app.common.errors import FieldError
from callcenter_app.common.files import write_atomic
from callcenter_app.telephony.media import to_pbx_wav
from callcenter_app.telephony.tenant import ALONE, Tenant

SOUND = re.compile(r"^custom/cc-[a-z0-9-]{1,120}$")


def sound_path(sounds_dir: str, sound: str, tenant: Tenant = ALONE) -> str:
	if not SOUND.match(sound or ""):
		raise FieldError("sound_name", f"{sound!r} is not a sound name of this app (custom/cc-…)")
	return os.path.join(sounds_dir, f"{tenant.sound(sound)}.wav")


def write_sounds(
	sounds_dir: str, sounds: Iterable[tuple[str, str, bytes]], tenant: Tenant = ALONE
) -> tuple[list[str], list[FieldError]]:
	"""``sounds``: (announcement, sound name, uploaded audio). Returns the paths written and the errors
	(an announcement that cannot be converted is named; the others are still written)."""
	written, errors, keep = [], [], set()
	for announcement, sound, audio in sounds:
		try:
			path = sound_path(sounds_dir, sound, tenant)
			wav, _seconds = to_pbx_wav(audio, field=f"announcement {announcement!r} audio")
		except FieldError as e:
			errors.append(e)
			continue
		keep.add(os.path.basename(path))
		os.makedirs(os.path.dirname(path), exist_ok=True)
		written.append(write_atomic(path, wav, 0o644))
	custom = os.path.join(sounds_dir, "custom")
	if os.path.isdir(custom) and not errors:
		for name in os.listdir(custom):
			if name.startswith(f"{tenant.sep}cc-") and name.endswith(".wav") and name not in keep:
				os.unlink(os.path.join(custom, name))
	return written, errors
