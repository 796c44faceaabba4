"""Audio files for announcements and IVR prompts: accept real WAV and MP3 only, judged by content, and
convert them to what Asterisk plays everywhere: 8 kHz mono 16-bit PCM WAV (format_wav). Asterisk plays
no MP3 without the unsupported format_mp3, and a WAV at another rate or width is refused or transcoded
badly; the conversion uses miniaudio (its dr_wav / dr_mp3 decoders and resampler, a wheel with no system
dependency)."""

from __future__ import annotations

import struct

from callcenter_app.common.errors import FieldError

MAX_AUDIO_BYTES = 20 * 1024 * 1024

# MPEG audio: bitrate index 0 ('free') and 15 (bad) and sample-rate index 3 (reserved) are not real frames
# WAVE format codes Asterisk's format modules read: PCM, A-law, mu-law, GSM, extensible (PCM inside)
_WAV_FORMATS = {0x0001, 0x0006, 0x0007, 0x0031, 0xFFFE}
_MP3_LAYERS = {0b01: "III", 0b10: "II", 0b11: "I"}


def sniff_audio(data: bytes, field: str = "audio") -> str:
	"""'wav' or 'mp3' for a real file of that kind; FieldError naming the field and the reason otherwise."""
	if not data:
		raise FieldError(field, "the file is empty")
	if len(data) > MAX_AUDIO_BYTES:
		raise FieldError(
			field, f"the file is {len(data) / 1048576:.1f} MB; at most {MAX_AUDIO_BYTES // 1048576} MB"
		)
	if data[:4] == b"RIFF":
		return _wav(data, field)
	if data[:3] == b"ID3" or _mp3_frame(data, 0):
		return _mp3(data, field)
	raise FieldError(field, "is neither a WAV nor an MP3 file (judged by its content, not its name)")


def _wav(data: bytes, field: str) -> str:
	if len(data) < 12 or data[8:12] != b"WAVE":
		raise FieldError(field, "is a RIFF file but not WAVE audio")
	offset = 12
	while offset + 8 <= len(data):
		chunk, size = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
		if chunk == b"fmt ":
			if size < 16 or offset + 8 + 16 > len(data):
				raise FieldError(field, "has a WAVE header that is cut short")
			fmt, channels, rate = struct.unpack("<HHI", data[offset + 8 : offset + 16])
			if channels == 0 or rate == 0:
				raise FieldError(field, "has a WAVE header with no channels or no sample rate")
			if fmt not in _WAV_FORMATS:
				raise FieldError(
					field, f"is a compressed WAV (format 0x{fmt:04x}) that the PBX cannot play; use PCM"
				)
			return "wav"
		offset += 8 + size + (size & 1)
	raise FieldError(field, "is a WAVE file without a format chunk")


def _mp3(data: bytes, field: str) -> str:
	offset = 0
	if data[:3] == b"ID3":
		if len(data) < 10:
			raise FieldError(field, "has an ID3 tag that is cut short")
		size = 0
		for b in data[6:10]:
			if b & 0x80:
				raise FieldError(field, "has a damaged ID3 tag")
			size = (size << 7) | b
		offset = 10 + size + (10 if data[5] & 0x10 else 0)
		while offset < len(data) and data[offset] == 0:  # padding
			offset += 1
	if not _mp3_frame(data, offset):
		raise FieldError(field, "has an MP3 tag but no MPEG audio frame after it")
	return "mp3"


def _mp3_frame(data: bytes, offset: int) -> bool:
	if offset + 4 > len(data):
		return False
	b0, b1, b2 = data[offset], data[offset + 1], data[offset + 2]
	if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
		return False
	version, layer = (b1 >> 3) & 0b11, (b1 >> 1) & 0b11
	bitrate, rate = (b2 >> 4) & 0xF, (b2 >> 2) & 0b11
	return version != 0b01 and layer in _MP3_LAYERS and bitrate not in (0, 15) and rate != 3


PBX_RATE = 8000
MAX_SECONDS = 15 * 60


def to_pbx_wav(data: bytes, field: str = "audio") -> tuple[bytes, float]:
	"""``(wav bytes, seconds)``: the upload (WAV or MP3, checked by :func:`sniff_audio`) as 8 kHz mono
	16-bit PCM WAV. FieldError naming the field when it cannot be decoded or is too long."""
	import miniaudio

	sniff_audio(data, field)
	try:
		decoded = miniaudio.decode(
			data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=PBX_RATE
		)
	except miniaudio.DecodeError as e:
		raise FieldError(field, f"could not be decoded as audio ({e})") from None
	samples = decoded.samples.tobytes()
	seconds = len(samples) / 2 / PBX_RATE
	if not samples:
		raise FieldError(field, "holds no sound")
	if seconds > MAX_SECONDS:
		raise FieldError(field, f"is {seconds / 60:.1f} minutes long; at most {MAX_SECONDS // 60} minutes")
	return wav_pcm16(samples, PBX_RATE), seconds


def wav_pcm16(samples: bytes, rate: int) -> bytes:
	"""A RIFF/WAVE file around mono signed 16-bit little-endian ``samples``."""
	header = struct.pack(
		"<4sI4s4sIHHIIHH4sI",
		b"RIFF",
		36 + len(samples),
		b"WAVE",
		b"fmt ",
		16,
		1,  # PCM
		1,  # mono
		rate,
		rate * 2,
		2,
		16,
		b"data",
		len(samples),
	)
	return header + samples
