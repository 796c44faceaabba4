"""The FastAGI route server on every core: several worker processes serving one port.

One asyncio process uses one core, and a busy machine starves it (issue 12: setup p99 rose from 3.7 ms to
30-121 ms with a competing load). :func:`serve` therefore runs ``workers`` processes. The parent checks the
address first with a plain bind, so a port already in use is refused even if its holder used SO_REUSEPORT;
then every worker builds its own :class:`RouteServer` through ``make_server`` (its own route source, which
reloads on change; for Frappe its own site connection), binds its own SO_REUSEPORT socket to the same
address and serves. The kernel spreads new connections over the workers' sockets.

The parent waits until every worker listens (a worker that cannot start is reported, and nothing keeps
running), then supervises: a worker that dies is started again, SIGTERM or SIGINT stop them all, and
workers stop by themselves when the parent is gone (they watch a pipe only the parent writes to). While the
pool runs the parent keeps a bound, non-listening SO_REUSEPORT socket so no other program can take the port
between worker restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony.agi.server import RouteServer, ServerConfig, install_fast_loop, listen

log = logging.getLogger("callcenter.agi")

MakeServer = Callable[[ServerConfig], RouteServer]
Announce = Callable[[str, int, int], None]


def default_workers() -> int:
	"""The CPUs this process may run on."""
	try:
		return max(1, len(os.sched_getaffinity(0)))
	except AttributeError:  # pragma: no cover - not Linux
		return max(1, os.cpu_count() or 1)


def serve(
	config: ServerConfig, make_server: MakeServer, workers: int = 1, announce: Announce | None = None
) -> None:
	"""Serve until SIGINT or SIGTERM. Address problems raise FieldError ('host' or 'port') before anything
	runs; ``announce(host, port, workers)`` is called once every worker listens."""
	if workers < 1:
		raise FieldError("workers", f"must be 1 or more, not {workers}")
	if workers == 1:
		sock = listen(config.host, config.port)
		host, port = sock.getsockname()[:2]
		server = make_server(replace(config, port=port))
		install_fast_loop()
		asyncio.run(_serve_one(server, sock, lambda: announce and announce(host, port, 1)))
		return
	pool = WorkerPool(config, make_server, workers)
	try:
		host, port = pool.start()
		if announce:
			announce(host, port, workers)
		pool.supervise()
	finally:
		pool.stop()


async def _serve_one(server: RouteServer, sock: socket.socket, ready: Callable[[], object]) -> None:
	loop = asyncio.get_running_loop()
	stop = asyncio.Event()
	loop.add_signal_handler(signal.SIGTERM, stop.set)
	await server.start(sock)
	ready()
	try:
		await stop.wait()
	finally:
		loop.remove_signal_handler(signal.SIGTERM)
		if server.server is not None:
			server.server.close()  # no new calls; the calls in progress end with the process


class WorkerPool:
	"""``workers`` processes serving ``config``'s address; see the module doc."""

	def __init__(
		self,
		config: ServerConfig,
		make_server: MakeServer,
		workers: int,
		start_timeout: float = 120.0,
		restart_delay: float = 1.0,
	):
		self.config, self.make_server, self.workers = config, make_server, workers
		self.start_timeout, self.restart_delay = start_timeout, restart_delay
		self._mp = multiprocessing.get_context("fork")
		self._procs: dict[int, multiprocessing.process.BaseProcess] = {}
		self._started: dict[int, float] = {}
		self._holder: socket.socket | None = None
		self._lifeline: tuple[int, int] | None = None
		self._stopping = False

	@property
	def pids(self) -> list[int]:
		return [p.pid for p in self._procs.values() if p.pid is not None]

	def start(self) -> tuple[str, int]:
		"""Check the address, start every worker and wait until each listens. Returns (host, port)."""
		probe = listen(self.config.host, self.config.port)  # no SO_REUSEPORT: any holder makes it fail
		host, port = probe.getsockname()[:2]
		probe.close()
		self.config = replace(self.config, port=port)
		self._holder = socket.socket(probe.family, socket.SOCK_STREAM)
		self._holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self._holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
		try:
			self._holder.bind((host, port))
		except OSError as e:
			raise FieldError("port", f"{port} was taken on {host} while starting: {e.strerror}") from None
		self._lifeline = os.pipe()
		conns = {i: self._spawn(i) for i in range(self.workers)}
		self._wait_ready(conns)
		log.info("FastAGI route server: %d workers on %s:%s (pids %s)", self.workers, host, port, self.pids)
		return host, port

	def _spawn(self, index: int) -> multiprocessing.connection.Connection:
		receive, send = self._mp.Pipe(duplex=False)
		process = self._mp.Process(
			target=self._worker, args=(index, send), name=f"agi-worker-{index + 1}", daemon=False
		)
		process.start()
		send.close()
		self._procs[index], self._started[index] = process, time.monotonic()
		return receive

	def _wait_ready(self, conns: dict[int, multiprocessing.connection.Connection]) -> None:
		"""Until every worker said it listens; the first that failed (or died) is raised as FieldError."""
		deadline = time.monotonic() + self.start_timeout
		waiting = dict(conns)
		while waiting:
			left = deadline - time.monotonic()
			if left <= 0:
				raise FieldError(
					"worker " + ", ".join(str(i + 1) for i in waiting),
					f"did not start within {self.start_timeout:g} s",
				)
			owner = {conn: i for i, conn in waiting.items()}
			owner.update({self._procs[i].sentinel: i for i in waiting})
			for ready in multiprocessing.connection.wait(list(owner), left):
				index = owner[ready]
				conn = waiting.get(index)
				if conn is None:  # its pipe and its exit both woke us
					continue
				try:
					message = conn.recv() if conn.poll() else None
				except (EOFError, OSError):  # it died without a word
					message = None
				if message is None or message[0] != "ready":
					if message is not None and message[0] == "error":
						raise FieldError(message[1], message[2])
					self._procs[index].join(1)
					raise FieldError(
						f"worker {index + 1}",
						f"exited (code {self._procs[index].exitcode}) before it was listening",
					)
				waiting.pop(index).close()

	def _worker(self, index: int, conn: multiprocessing.connection.Connection) -> None:
		"""In the worker process: build the server, listen on the shared port, serve until told to stop."""
		signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops the workers
		signal.signal(signal.SIGTERM, signal.SIG_DFL)
		os.close(self._lifeline[1])  # only the parent holds the write end: EOF here means it is gone
		with contextlib.suppress(OSError):
			self._holder.close()
		try:
			install_fast_loop()
			server = self.make_server(self.config)
			sock = listen(self.config.host, self.config.port, reuse_port=True)
		except FieldError as e:
			conn.send(("error", e.field, e.reason))
			raise SystemExit(1) from None
		except Exception as e:
			log.exception("worker %d could not start", index + 1)
			conn.send(("error", f"worker {index + 1}", f"could not start: {e}"))
			raise SystemExit(1) from None
		asyncio.run(self._worker_loop(server, sock, conn))

	async def _worker_loop(self, server: RouteServer, sock: socket.socket, conn) -> None:
		loop = asyncio.get_running_loop()
		stop = asyncio.Event()
		loop.add_signal_handler(signal.SIGTERM, stop.set)
		loop.add_reader(self._lifeline[0], stop.set)  # readable (EOF) once the parent is gone
		await server.start(sock)
		conn.send(("ready", os.getpid()))
		conn.close()
		await stop.wait()
		if server.server is not None:
			server.server.close()

	def supervise(self) -> None:
		"""Until SIGTERM (or SIGINT, as KeyboardInterrupt): start a worker again whenever one dies."""
		in_main = threading.current_thread() is threading.main_thread()  # (tests supervise from a thread)
		previous = signal.signal(signal.SIGTERM, self._on_sigterm) if in_main else None
		try:
			while not self._stopping:
				sentinels = {p.sentinel: i for i, p in self._procs.items()}
				for ready in multiprocessing.connection.wait(list(sentinels), 1.0):
					if self._stopping:
						break
					index = sentinels[ready]
					process = self._procs[index]
					process.join()
					log.error(
						"FastAGI worker %d (pid %s) exited with code %s; starting another",
						index + 1,
						process.pid,
						process.exitcode,
					)
					if time.monotonic() - self._started[index] < self.restart_delay:
						time.sleep(self.restart_delay)  # not in a tight loop if it cannot start at all
					self._spawn(index).close()
		finally:
			if in_main:
				signal.signal(signal.SIGTERM, previous)

	def _on_sigterm(self, signum, frame) -> None:
		self._stopping = True

	def stop(self, timeout: float = 5.0) -> None:
		"""Stop every worker (SIGTERM, then SIGKILL after ``timeout``) and free the port."""
		self._stopping = True
		for process in self._procs.values():
			if process.is_alive():
				process.terminate()
		deadline = time.monotonic() + timeout
		for process in self._procs.values():
			process.join(max(0.0, deadline - time.monotonic()))
			if process.is_alive():
				process.kill()
				process.join()
		self._procs.clear()
		if self._lifeline is not None:
			for fd in self._lifeline:
				with contextlib.suppress(OSError):
					os.close(fd)
			self._lifeline = None
		if self._holder is not None:
			self._holder.close()
			self._holder = None
