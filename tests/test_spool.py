"""The durable spool: torn lines after a crash, file modes, one process per spool, dead letters for poison
records, and fsync kept off the event loop without reordering or acking early."""

import asyncio
import json
import logging
import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from callcenter_app.telephony.ami.spool import Spool, SpoolInUse, SpoolWriter, WriteResult


def keys(spool: Spool) -> list[str]:
	return [r["linkedid"] for r in spool.pending()]


def mode(path) -> int:
	return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
	old = os.umask(0o022)  # the usual umask: files come out 0644 unless asked otherwise
	yield
	os.umask(old)


# --- a crash mid-write ---------------------------------------------------------------------------------
def test_a_torn_last_line_is_cut_and_the_next_record_starts_on_a_line_of_its_own(tmp_path):
	with Spool(str(tmp_path)) as s:
		s.append([{"linkedid": "a", "x": 1}, {"linkedid": "b", "x": 2}])
	with open(tmp_path / "records.jsonl", "a") as f:
		f.write('{"linkedid":"torn","x"')  # the process died here: never reported saved
	with Spool(str(tmp_path)) as s:
		assert keys(s) == ["a", "b"]
		s.append([{"linkedid": "c", "x": 3}])  # reported saved: must survive the next restart
	with Spool(str(tmp_path)) as s:
		assert keys(s) == ["a", "b", "c"]
		s.ack(["a", "b", "c"])
		assert len(s) == 0 and (tmp_path / "records.jsonl").stat().st_size == 0


def test_a_record_that_only_lacks_its_newline_is_kept(tmp_path):
	with Spool(str(tmp_path)) as s:
		s.append([{"linkedid": "a"}])
	with open(tmp_path / "records.jsonl", "a") as f:
		f.write('{"linkedid":"b"}')
	with Spool(str(tmp_path)) as s:
		s.append([{"linkedid": "c"}])
	with Spool(str(tmp_path)) as s:
		assert keys(s) == ["a", "b", "c"]


def test_a_torn_ack_is_cut_and_only_means_writing_that_record_again(tmp_path):
	with Spool(str(tmp_path)) as s:
		s.append([{"linkedid": "a"}, {"linkedid": "bb"}, {"linkedid": "c"}])
		s.ack(["a"])
	with open(tmp_path / "acked.txt", "a") as f:
		f.write("b")  # half of "bb"
	with Spool(str(tmp_path)) as s:
		assert keys(s) == ["bb", "c"]
		s.ack(["c"])
	with Spool(str(tmp_path)) as s:
		assert keys(s) == ["bb"]  # "c" was not glued onto the torn "b"


def test_a_spool_an_older_version_glued_still_loads(tmp_path):
	# what the old spool left after a crash: the next record appended to the torn line
	lines = [
		'{"linkedid":"a","x":1}',
		'{"linkedid":"torn","nested":{"y":"{"{"linkedid":"b","nested":{"y":2},"x":2}',
		"not a record at all",
		'{"linkedid":"c","x":3}',
	]
	(tmp_path / "records.jsonl").write_text("\n".join(lines) + "\n")
	(tmp_path / "acked.txt").write_text("a\n")
	with Spool(str(tmp_path)) as s:
		assert s.pending() == [{"linkedid": "b", "nested": {"y": 2}, "x": 2}, {"linkedid": "c", "x": 3}]


# --- modes and the lock ----------------------------------------------------------------------------------
def test_spool_files_are_private_and_existing_ones_are_made_private(tmp_path, umask_022):
	fresh = tmp_path / "fresh"
	with Spool(str(fresh)) as s:
		s.append([{"linkedid": "a"}, {"linkedid": "b"}, {"linkedid": "c"}])
		s.ack(["b"])
		assert mode(fresh) == 0o700
		for name in ("records.jsonl", "acked.txt", "spool.lock"):
			assert mode(fresh / name) == 0o600, name
		s.park({"a": "refused"})
		assert mode(fresh / "dead-letters.jsonl") == 0o600

	old = tmp_path / "old"
	old.mkdir()
	for name in ("records.jsonl", "acked.txt", "dead-letters.jsonl"):
		(old / name).write_text("")
		os.chmod(old / name, 0o644)
	with Spool(str(old)):
		pass
	for name in ("records.jsonl", "acked.txt", "dead-letters.jsonl"):
		assert mode(old / name) == 0o600, name


def test_a_second_spool_on_the_same_directory_is_refused_until_the_first_closes(tmp_path):
	first = Spool(str(tmp_path))
	with pytest.raises(SpoolInUse, match=rf"in use by another process \(pid {os.getpid()}\)"):
		Spool(str(tmp_path))
	first.close()
	Spool(str(tmp_path)).close()


def test_another_process_holding_the_spool_is_named(tmp_path):
	code = (
		"import sys, time; from callcenter_app.telephony.ami.spool import Spool\n"
		"s = Spool(sys.argv[1]); print('open', flush=True); sys.stdin.read()"
	)
	env = {**os.environ, "PYTHONPATH": os.getcwd()}
	holder = subprocess.Popen(
		[sys.executable, "-c", code, str(tmp_path)],
		stdin=subprocess.PIPE,
		stdout=subprocess.PIPE,
		text=True,
		env=env,
	)
	try:
		assert holder.stdout.readline().strip() == "open"
		with pytest.raises(SpoolInUse, match=rf"\(pid {holder.pid}\)"):
			Spool(str(tmp_path))
	finally:
		holder.stdin.close()
		holder.wait(10)
	Spool(str(tmp_path)).close()  # its lock went with it


# --- poison records ------------------------------------------------------------------------------------
def test_a_poison_record_goes_to_the_dead_letters_and_the_rest_is_written(tmp_path, caplog, umask_022):
	spool = Spool(str(tmp_path), fsync=False)
	written, calls = [], {"n": 0}

	def write(batch):
		calls["n"] += 1
		if calls["n"] <= 2:
			raise ConnectionError("database is down")  # transient: the whole batch waits
		done, poison = [], {}
		for r in batch:
			if r["status"] == "exploded":
				poison[r["linkedid"]] = "status: 'exploded' is not one of answered, missed"
			elif r["linkedid"] == "later":
				continue  # neither written nor refused: tried again
			else:
				done.append(r["linkedid"])
				written.append(r["linkedid"])
		return WriteResult(done, poison)

	records = [
		{"linkedid": "a", "status": "answered"},
		{"linkedid": "b", "status": "exploded", "caller": "+37060000001"},
		{"linkedid": "c", "status": "missed"},
	]

	async def main():
		writer = SpoolWriter(spool, write, "call record", retry_start=0.01, retry_max=0.02)
		writer.append(records)
		assert await writer.drain(2.0)
		return writer

	with caplog.at_level(logging.ERROR, logger="callcenter.ami.spool"):
		writer = asyncio.run(main())
	assert written == ["a", "c"] and len(spool) == 0
	assert (writer.written, writer.parked, writer.write_failures) == (2, 1, 2)
	dead = tmp_path / "dead-letters.jsonl"
	(letter,) = [json.loads(line) for line in dead.read_text().splitlines()]
	assert letter["key"] == "b" and "exploded" in letter["error"] and letter["record"] == records[1]
	assert mode(dead) == 0o600
	assert "call record b set aside" in caplog.text and "'exploded' is not one of" in caplog.text
	spool.close()
	with Spool(str(tmp_path)) as again:  # parked means done: not written again after a restart
		assert len(again) == 0


def test_records_neither_written_nor_refused_stay_and_are_tried_again(tmp_path):
	spool = Spool(str(tmp_path), fsync=False)
	seen = []

	def write(batch):
		seen.append([r["linkedid"] for r in batch])
		if len(seen) == 1:
			return WriteResult(done=["a"])  # "b": a lock timeout, say
		return None

	async def main():
		writer = SpoolWriter(spool, write, retry_start=0.01)
		writer.append([{"linkedid": "a"}, {"linkedid": "b"}])
		return await writer.drain(2.0), writer

	drained, writer = asyncio.run(main())
	assert drained and seen == [["a", "b"], ["b"]] and writer.write_failures == 1
	assert not (tmp_path / "dead-letters.jsonl").exists()


# --- fsync off the event loop ----------------------------------------------------------------------------
def test_fsync_runs_off_the_loop_in_order_and_before_anything_is_written(tmp_path, monkeypatch):
	real_fsync = os.fsync
	fsync_threads: set[int] = set()
	durable: set[str] = set()
	records_path = tmp_path / "records.jsonl"

	def slow_fsync(fd):
		fsync_threads.add(threading.get_ident())
		time.sleep(0.3)  # a slow disk
		real_fsync(fd)
		if os.path.exists(records_path):
			for line in records_path.read_text().splitlines():
				durable.add(json.loads(line)["linkedid"])

	spool = Spool(str(tmp_path))
	monkeypatch.setattr(os, "fsync", slow_fsync)
	written: list[str] = []

	def write(batch):
		assert {r["linkedid"] for r in batch} <= durable, "written before its fsync finished"
		written.extend(r["linkedid"] for r in batch)

	async def main():
		loop_thread = threading.get_ident()
		writer = SpoolWriter(spool, write, batch=3)
		sink = asyncio.create_task(writer.run())
		lag = 0.0
		for i in range(12):
			before = time.perf_counter()
			writer.append([{"linkedid": f"r{i:02d}"}])
			await asyncio.sleep(0.01)
			lag = max(lag, time.perf_counter() - before)
		while len(written) < 12 or len(spool):
			await asyncio.sleep(0.01)
		sink.cancel()
		return loop_thread, lag

	loop_thread, lag = asyncio.run(main())
	assert written == [f"r{i:02d}" for i in range(12)]  # in the order they were appended, once each
	assert fsync_threads and loop_thread not in fsync_threads
	assert lag < 0.3  # the loop never waited for a disk (each append would have waited 0.3 s)
	spool.close()
	with pytest.raises(ValueError, match="is closed"):
		spool.ack(["r00"])
	with Spool(str(tmp_path)) as again:
		assert len(again) == 0


def test_a_failed_disk_write_leaves_no_half_line_and_is_tried_again_in_order(tmp_path, monkeypatch, caplog):
	spool = Spool(str(tmp_path), fsync=False)
	real_write = os.write
	failures = {"left": 2}

	def full_disk(fd, data):
		if failures["left"] and fd == spool._records:
			failures["left"] -= 1
			real_write(fd, bytes(data[: len(data) // 2]))  # half a line, then the disk is full
			raise OSError(28, "No space left on device")
		return real_write(fd, data)

	monkeypatch.setattr(os, "write", full_disk)
	written = []

	def write(batch):  # the file holds whole lines only, each record once
		text = (tmp_path / "records.jsonl").read_text()
		assert text.endswith("\n") and [json.loads(line)["linkedid"] for line in text.splitlines()] == [
			"a",
			"b",
		]
		written.extend(r["linkedid"] for r in batch)

	async def main():
		writer = SpoolWriter(spool, write, retry_start=0.01)
		writer.append([{"linkedid": "a", "caller": "+37060000001"}])
		writer.append([{"linkedid": "b"}])
		return await writer.drain(5.0)

	with caplog.at_level(logging.ERROR, logger="callcenter.ami.spool"):
		assert asyncio.run(main())
	assert written == ["a", "b"] and "No space left on device" in caplog.text
	assert "37060000001" not in caplog.text
	spool.close()
	monkeypatch.undo()
	with Spool(str(tmp_path)) as again:
		assert len(again) == 0 and (tmp_path / "records.jsonl").read_text() == ""


def test_a_writer_cancelled_mid_write_still_acks_and_the_drain_writes_nothing_twice(tmp_path):
	"""Shutdown cancels the writer loop while its sink runs in a thread (which cancelling cannot stop); the
	drain that follows must not write that batch again (a loaded CI run wrote the last two calls twice)."""
	spool = Spool(str(tmp_path), fsync=False)
	written, entered, release = [], threading.Event(), threading.Event()

	def write(batch):
		entered.set()
		release.wait(5)
		written.extend(r["linkedid"] for r in batch)

	async def main():
		writer = SpoolWriter(spool, write, retry_start=0.01)
		writer.append([{"linkedid": "a"}, {"linkedid": "b"}])
		await writer.flush()
		loop_task = asyncio.create_task(writer.run())
		await asyncio.get_running_loop().run_in_executor(None, entered.wait, 5)
		loop_task.cancel()  # the bridge's shutdown: the sink thread is still writing
		with pytest.raises(asyncio.CancelledError):
			await loop_task
		threading.Timer(0.1, release.set).start()
		return await writer.drain(5.0), writer

	drained, writer = asyncio.run(main())
	assert drained and written == ["a", "b"] and writer.written == 2 and len(spool) == 0
