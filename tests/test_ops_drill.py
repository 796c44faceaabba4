"""The restore drill's pure parts: the latest backup set, the rows a dump holds, the comparison."""

from __future__ import annotations

import pathlib

import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.ops import drill

# Three tables of a real Frappe 15.44 backup (`bench --site sec.localhost backup --with-files`; Frappe
# writes one row a line after the INSERT).
EXCERPT = pathlib.Path(__file__).parent / "data" / "ops" / "frappe-15-dump-excerpt.sql"


def test_rows_of_a_real_frappe_dump():
	counts = drill.dump_rows(EXCERPT.read_text().splitlines(keepends=True))
	assert counts == {"tabCC Outcome": 10, "tabCC Work Mode": 4}  # tabCalendar View is not compared
	everything = drill.dump_rows(EXCERPT.read_text().splitlines(), wanted=lambda t: True)
	assert everything["tabCalendar View"] == 0


def test_rows_of_mysqldump_extended_inserts_with_tricky_values():
	dump = [
		"CREATE TABLE `tabCC Call Log` (\n",
		"INSERT INTO `tabCC Call Log` VALUES ('a','it''s (1)',NULL),('b','x\\\\','y;z'),('c','\\'(',2);\n",
		"INSERT INTO `tabCC Call Log` VALUES\n",
		"('d','line\\nbreak; (not a row)'),\n",
		"('e',');(');\n",
		"CREATE TABLE `tabCC Empty` (\n",
		"INSERT INTO `tabUser` VALUES ('u');\n",
	]
	assert drill.dump_rows(dump) == {"tabCC Call Log": 5, "tabCC Empty": 0}


def test_latest_backup_set_by_its_stamp():
	names = [
		"20261203_010000-site-database.sql.gz",
		"20261203_010000-site-files.tar",
		"20261203_010000-site-private-files.tar",
		"20261204_010000-site-database.sql.gz",
		"20261204_010000-site-files.tar",
		"20261204_010000-site-private-files.tar",
		"20261204_010000-site-site_config_backup.json",
	]
	latest = drill.latest_backup(names)
	assert latest.prefix == "20261204_010000-site"
	assert latest.private == "20261204_010000-site-private-files.tar"


def test_no_backup_or_no_files_is_refused_with_the_way_out():
	with pytest.raises(FieldError, match="backup --with-files"):
		drill.latest_backup(["notes.txt"])
	with pytest.raises(FieldError, match="20261205_010000-site has no files archives"):
		drill.latest_backup(["20261204_010000-site-database.sql.gz", "20261205_010000-site-database.sql.gz"])


def test_comparison_fails_on_any_difference_and_ignores_the_live_site():
	rows = drill.compare({"tabCC Route": 3, "tabFile": 5}, {"tabCC Route": 3, "tabFile": 5}, {"tabFile": 9})
	assert all(r.ok for r in rows)
	assert list(drill.report(rows))[-1] == "restore drill: 2 compared, all equal"
	rows = drill.compare({"tabCC Route": 3, "files: public": 2}, {"tabCC Route": 2})
	assert [r.what for r in rows if not r.ok] == ["files: public", "tabCC Route"]
	lines = list(drill.report(rows))
	assert lines[-1] == "restore drill FAILED: 2 of 2 differ"
	assert "<-- differs" in lines[1]
