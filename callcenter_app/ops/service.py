"""The restore drill on a bench: restore the latest backup into a scratch site, count, drop the scratch site.

``bench --site SITE callcenter restore-drill`` (commands.py) calls :func:`restore_drill`. The scratch site
is made and dropped by Frappe's own ``restore`` and ``drop-site`` commands (run as subprocesses of this
bench's Python, in the bench's sites folder); its archive goes to a temporary folder that is deleted, so no
copy of the site's personal data is left behind.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile

import frappe

from callcenter_app.ops import drill


def backup_folder() -> str:
	return frappe.get_site_path("private", "backups")


def live_counts(tables: list[str]) -> dict[str, int]:
	existing = set(frappe.db.get_tables(cached=False))
	return {t: frappe.db.sql(f"select count(*) from `{t}`")[0][0] for t in tables if t in existing}


def tar_files(path: str) -> int:
	with tarfile.open(path) as tar:
		return sum(1 for m in tar.getmembers() if m.isfile())


def folder_files(path: str) -> int:
	return sum(len(files) for _, _, files in os.walk(path)) if os.path.isdir(path) else 0


def _bench(sites_path: str, *args: str, echo=print) -> None:
	command = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", *args]
	shown = [a if not a.startswith("pw:") else "***" for a in args]
	echo("$ bench " + " ".join(shown))
	result = subprocess.run(
		[a.removeprefix("pw:") for a in command], cwd=sites_path, capture_output=True, text=True
	)
	if result.returncode:
		raise RuntimeError(
			f"bench {' '.join(shown[:3])} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
		)


def restored_counts(sites_path: str, scratch: str, tables: list[str]) -> dict[str, int]:
	import pymysql

	conf = frappe.get_site_config(sites_path=sites_path, site_path=os.path.join(sites_path, scratch))
	connection = pymysql.connect(
		host=conf.get("db_host") or frappe.conf.db_host or "127.0.0.1",
		port=int(conf.get("db_port") or frappe.conf.db_port or 3306),
		user=conf.get("db_user") or conf["db_name"],
		password=conf["db_password"],
		database=conf["db_name"],
	)
	try:
		with connection.cursor() as cursor:
			cursor.execute("show tables")
			existing = {row[0] for row in cursor.fetchall()}
			counts = {}
			for table in tables:
				if table in existing:
					cursor.execute(f"select count(*) from `{table}`")
					counts[table] = cursor.fetchone()[0]
			return counts
	finally:
		connection.close()


def restore_drill(db_root_password: str, db_root_username: str = "root", echo=print) -> bool:
	"""Run the drill for the connected site; True when every count matched. The scratch site is dropped
	whatever happens."""
	site = frappe.local.site
	sites_path = os.path.abspath(frappe.local.sites_path)
	folder = os.path.abspath(backup_folder())
	latest = drill.latest_backup(os.listdir(folder) if os.path.isdir(folder) else [])
	paths = {k: os.path.join(folder, getattr(latest, k)) for k in ("database", "public", "private")}
	echo(f"restore drill of {site}: backup {latest.prefix}")

	with gzip.open(paths["database"], "rt", encoding="utf-8", errors="replace") as dump:
		backup = drill.dump_rows(dump)
	backup["files: public"] = tar_files(paths["public"])
	backup["files: private"] = tar_files(paths["private"])

	token = secrets.token_hex(4)
	scratch = f"cc-drill-{token}.localhost"
	archive = tempfile.mkdtemp(prefix="cc-drill-archive-")
	root = ["--db-root-username", db_root_username, "--db-root-password", f"pw:{db_root_password}"]
	try:
		# Frappe's restore makes the database and the site's files; it wants the site's folder to exist,
		# and (Frappe 15.44) reads the new database's name from its config, not from --db-name
		os.makedirs(os.path.join(sites_path, scratch))
		with open(os.path.join(sites_path, scratch, "site_config.json"), "w") as config:
			json.dump({"db_name": f"_ccdrill_{token}", "db_password": secrets.token_urlsafe(24)}, config)
		_bench(
			sites_path,
			"--site",
			scratch,
			"restore",
			paths["database"],
			"--with-public-files",
			paths["public"],
			"--with-private-files",
			paths["private"],
			"--admin-password",
			f"pw:{secrets.token_urlsafe(16)}",
			*root,
			echo=echo,
		)
		restored = restored_counts(sites_path, scratch, sorted(backup))
		scratch_path = os.path.join(sites_path, scratch)
		restored["files: public"] = folder_files(os.path.join(scratch_path, "public", "files"))
		restored["files: private"] = folder_files(os.path.join(scratch_path, "private", "files"))
	finally:
		if os.path.isfile(os.path.join(sites_path, scratch, "site_config.json")):
			try:
				_bench(
					sites_path,
					"drop-site",
					scratch,
					"--force",
					"--no-backup",
					"--archived-sites-path",
					archive,
					*root,
					echo=echo,
				)
			finally:
				shutil.rmtree(os.path.join(sites_path, scratch), ignore_errors=True)
		shutil.rmtree(archive, ignore_errors=True)

	live = live_counts([t for t in backup if t.startswith("tab")])
	live["files: public"] = folder_files(frappe.get_site_path("public", "files"))
	live["files: private"] = folder_files(frappe.get_site_path("private", "files"))
	rows = drill.compare(backup, restored, live)
	for line in drill.report(rows):
		echo(line)
	return all(r.ok for r in rows)
