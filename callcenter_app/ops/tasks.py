"""Scheduled operations jobs: the daily backup with files (``daily_long``).

Frappe 15 takes no backup by itself (``bench setup backups`` adds a crontab for the database only); this
job takes one a day, with the public and private files unless the site config says
``cc_backup_with_files: 0``, and none at all with ``cc_daily_backup: 0``. Retention is Frappe's own:
``keep_backups_for_hours`` (site config; each backup deletes older ones) and System Settings' "Number of
Backups" (``backup_limit``), both set by install.py when the site still has Frappe's defaults.
"""

from __future__ import annotations

import frappe
from frappe.utils import cint

BACKUP_DEFAULTS = {"cc_daily_backup": 1, "cc_backup_with_files": 1, "keep_backups_for_hours": 7 * 24}
BACKUP_LIMIT = 7  # System Settings "Number of Backups": a week of daily sets
FRAPPE_BACKUP_LIMIT = 3  # Frappe's default


def daily_backup():
	if not cint(frappe.conf.get("cc_daily_backup", 1)):
		return None
	from frappe.utils.backups import new_backup

	with_files = cint(frappe.conf.get("cc_backup_with_files", 1))
	odb = new_backup(ignore_files=not with_files, force=True)
	frappe.logger("callcenter_ops", allow_site=True).info(
		"daily backup: %s%s", odb.backup_path_db, " with files" if with_files else ""
	)
	return odb


def ensure_backup_defaults() -> None:
	"""Idempotent: site config keys only when absent; the backup limit only while it is Frappe's default."""
	from frappe.installer import update_site_config

	site_config = frappe.get_site_config()
	for key, value in BACKUP_DEFAULTS.items():
		if key not in site_config:
			update_site_config(key, value)
			frappe.local.conf[key] = value
	limit = cint(frappe.db.get_single_value("System Settings", "backup_limit"))
	if limit in (0, FRAPPE_BACKUP_LIMIT):
		frappe.db.set_single_value("System Settings", "backup_limit", BACKUP_LIMIT)


def delete_expired_recordings(limit: int = 5000) -> int:
	"""Daily: delete the recordings of calls that started more than CC Settings' "Keep Recordings (days)"
	ago (0 keeps them); each call gets a note saying which file went, when and that the job did it."""
	from frappe import _

	from callcenter_app.ops import privacy
	from callcenter_app.ops.personal_data.service import delete_recording

	days = cint(frappe.db.get_single_value("CC Settings", "recording_retention_days"))
	cutoff = privacy.recording_cutoff(frappe.utils.now_datetime(), days)
	if cutoff is None:
		return 0
	rows = frappe.get_all(
		"CC Call Log",
		filters={"recording": ["is", "set"], "start": ["<", cutoff]},
		fields=["name", "recording"],
		order_by="start asc",
		limit=limit,
	)
	why = _("kept {0} days (CC Settings), deleted by the daily recordings job").format(days)
	for row in rows:
		delete_recording(row.name, row.recording, why)
	return len(rows)
