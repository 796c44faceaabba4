"""Rules for CC Settings, kept apart from the doctype so they are tested without Frappe."""

from __future__ import annotations

from collections.abc import Mapping

from callcenter_app.common import validators
from callcenter_app.common.errors import FieldError, collect


def check_cc_settings(values: Mapping) -> list[FieldError]:
	"""Every problem with a CC Settings record, in form order; an empty list means it can be saved."""
	v = dict(values)
	errors = collect(
		lambda: (v.get("ami_host") or "").strip() and validators.host("ami_host", v["ami_host"]),
		lambda: validators.port("ami_port", v.get("ami_port")),
		lambda: _ami_credentials(v),
		lambda: validators.bind_address("agi_bind_address", v.get("agi_bind_address")),
		lambda: validators.port("agi_port", v.get("agi_port")),
		lambda: (
			v.get("recordings_folder")
			and validators.absolute_path("recordings_folder", v["recordings_folder"])
		),
		lambda: retention_days("recording_retention_days", v.get("recording_retention_days")),
		lambda: v.get("site_timezone") and validators.timezone("site_timezone", v["site_timezone"]),
		lambda: validators.tenant_prefix("tenant_prefix", v.get("tenant_prefix")),
		lambda: validators.non_negative_seconds("qos_reference_wait", v.get("qos_reference_wait")),
		lambda: validators.non_negative_seconds("qos_limit_wait", v.get("qos_limit_wait")),
		lambda: validators.fraction("qos_early_factor", v.get("qos_early_factor")),
	)
	if not any(e.field in ("qos_reference_wait", "qos_limit_wait") for e in errors):
		if int(v["qos_limit_wait"]) <= int(v["qos_reference_wait"]):
			errors.append(
				FieldError(
					"qos_limit_wait",
					f"must be greater than the reference wait time ({int(v['qos_reference_wait'])} s), "
					f"not {int(v['qos_limit_wait'])} s",
				)
			)
	return errors


MAX_RETENTION_DAYS = 36_500


def retention_days(field: str, value) -> int:
	"""A retention period in whole days: 0 (keep for ever) up to 100 years."""
	if value in (None, ""):
		return 0
	try:
		days = int(value)
	except (TypeError, ValueError):
		raise FieldError(field, f"must be a whole number of days, not {value!r}") from None
	if days != value and str(days) != str(value).strip():
		raise FieldError(field, f"must be a whole number of days, not {value!r}")
	if not 0 <= days <= MAX_RETENTION_DAYS:
		raise FieldError(
			field, f"must be between 0 (keep for ever) and {MAX_RETENTION_DAYS} days, not {days}"
		)
	return days


def _ami_credentials(v: dict) -> None:
	user = (v.get("ami_username") or "").strip()
	if v.get("pbx_enabled") and not (v.get("ami_host") or "").strip():
		raise FieldError("ami_host", "is required when the PBX bridge is enabled")
	if v.get("pbx_enabled") and not user:
		raise FieldError("ami_username", "is required when the PBX bridge is enabled")
	if user and any(c.isspace() or c in ":\r\n" for c in user):
		raise FieldError("ami_username", "must not contain spaces, colons or line breaks")
	secret = v.get("ami_secret") or ""
	if any(c in "\r\n\0" for c in secret):
		raise FieldError("ami_secret", "must not contain line breaks")
