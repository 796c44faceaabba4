"""`callcenter`: the console script that runs the engines with no Frappe (route tests, servers, simulators)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import os
import sys
import time
from zoneinfo import ZoneInfo

from callcenter_app import __version__
from callcenter_app.common.errors import FieldError


def _read_routes(path: str):
	"""The routes file, valid as a whole (docs/routes-json.md: reading is strict), else FieldError --routes."""
	from callcenter_app.telephony.routing.serialize import loads
	from callcenter_app.telephony.routing.validate import InvalidRoutes, require_valid

	try:
		with open(path, encoding="utf-8") as f:
			text = f.read()
	except OSError as e:
		raise FieldError("--routes", f"cannot read {path}: {e.strerror}") from None
	except UnicodeDecodeError:
		raise FieldError("--routes", f"{path} is not UTF-8 text") from None
	try:
		return require_valid(loads(text), path)
	except InvalidRoutes as e:
		raise FieldError("--routes", str(e)) from None
	except FieldError as e:
		raise FieldError("--routes", f"{path}: {e}") from None


def _when(text: str | None, timezone: str) -> dt.datetime:
	if not text:
		return dt.datetime.now(dt.timezone.utc)
	try:
		when = dt.datetime.fromisoformat(text)
	except ValueError:
		raise FieldError(
			"--at", f"{text!r} is not a date-time like 2026-12-24T10:00 or 2026-12-24T10:00+02:00"
		) from None
	return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(timezone))


def _csv(text: str | None) -> list[str]:
	return [] if not text else [part.strip() for part in text.split(",")]


def route_test(args) -> int:
	"""Print the path a call takes, node by node, with the reason for each step."""
	from callcenter_app.telephony.routing.evaluator import DIAL_RESULTS, QUEUE_RESULTS
	from callcenter_app.telephony.routing.simulate import check_results, simulate

	if args.hang_up_after is not None and args.hang_up_after < 1:
		raise FieldError(
			"--hang-up-after",
			f"must be 1 or more (the N-th prompt, queue or forward), not {args.hang_up_after}",
		)
	try:
		queue_results = check_results("--queue-results", _csv(args.queue_results), QUEUE_RESULTS)
		dial_results = check_results("--dial-results", _csv(args.dial_results), DIAL_RESULTS)
	except FieldError as e:
		raise FieldError(e.field, f"{e.reason} (Asterisk's QUEUESTATUS / DIALSTATUS, any case)") from None
	routes = _read_routes(args.routes)
	sim = simulate(
		routes,
		args.did,
		args.caller or "",
		_when(args.at, routes.timezone),
		digits=_csv(args.digits),
		queue_results=queue_results,
		dial_results=dial_results,
		hang_up_after=args.hang_up_after,
	)
	if args.json:
		print(json.dumps(sim.as_dict(), indent=1, default=str))
	else:
		print(sim.describe())
	return 0 if sim.outcome is None or sim.outcome.result != "rejected" else 1


MAX_AGI_WORKERS = 64


def _check_tenant(value: str) -> None:
	"""--tenant: empty (the PBX is the site's own) or a prefix as CC Settings takes it (telephony/tenant.py)."""
	from callcenter_app.telephony.tenant import check_prefix

	if value:
		check_prefix(value, "--tenant")


def agi_serve(args) -> int:
	"""Serve routes from an exported JSON file over FastAGI until interrupted (SIGINT or SIGTERM)."""
	from callcenter_app.telephony.agi.server import FileRouteSource, RouteServer, ServerConfig
	from callcenter_app.telephony.agi.workers import default_workers, serve

	workers = default_workers() if args.workers is None else args.workers
	if not 1 <= workers <= MAX_AGI_WORKERS:
		raise FieldError("--workers", f"must be from 1 to {MAX_AGI_WORKERS}, not {workers}")
	_read_routes(args.routes)  # refuse a missing or invalid file before listening
	_check_tenant(args.tenant)

	def make_server(config: ServerConfig) -> RouteServer:  # in each worker: its own reloading source
		return RouteServer(FileRouteSource(args.routes), config)

	def announce(host: str, port: int, count: int) -> None:
		plural = "s" if count != 1 else ""
		print(
			f"FastAGI route server listening on {host}:{port} ({count} worker{plural}), routes from {args.routes}",
			flush=True,
		)

	try:
		serve(
			ServerConfig(host=args.host, port=args.port, tenant=args.tenant or ""),
			make_server,
			workers,
			announce,
		)
	except FieldError as e:
		field = f"--{e.field}" if e.field in ("host", "port", "routes", "workers") else e.field
		raise FieldError(field, e.reason) from None
	except KeyboardInterrupt:
		pass
	return 0


def _ami_secret(args) -> str:
	if args.secret_file:
		try:
			with open(args.secret_file, encoding="utf-8") as f:
				secret = f.read().strip()
		except OSError as e:
			raise FieldError("--secret-file", f"cannot read {args.secret_file}: {e.strerror}") from None
		except UnicodeDecodeError:
			raise FieldError("--secret-file", f"{args.secret_file} is not a text file") from None
		if not secret:
			raise FieldError("--secret-file", f"{args.secret_file} is empty")
		return secret
	secret = os.environ.get(args.secret_env, "")
	if not secret:
		raise FieldError(
			"secret", f"give --secret-file or set ${args.secret_env} (never on the command line)"
		)
	return secret


def _open_spool(path: str):
	from callcenter_app.telephony.ami.spool import Spool, SpoolInUse

	try:
		return Spool(path)
	except SpoolInUse as e:
		raise FieldError("--spool", f"{e}; one ami-tail or AMI bridge per spool") from None
	except OSError as e:
		where = f"{e.filename}: " if e.filename and e.filename != path else ""
		raise FieldError(
			"--spool", f"cannot use {path} as the spool directory: {where}{e.strerror or e}"
		) from None


def _history_source(args):
	from callcenter_app.telephony.ami.recovery import HistorySource

	for option, path in (("--queue-log", args.queue_log), ("--cdr-csv", args.cdr_csv)):
		if path and not os.access(path, os.R_OK):
			raise FieldError(option, f"cannot read {path}")
	if args.recover_minutes < 0:
		raise FieldError("--recover-minutes", f"must be 0 or more, not {args.recover_minutes}")
	try:
		ZoneInfo(args.cdr_timezone)
	except (ValueError, KeyError):
		raise FieldError("--cdr-timezone", f"{args.cdr_timezone!r} is not a time zone") from None
	source = HistorySource(args.queue_log, args.cdr_csv, args.cdr_timezone)
	return source if source else None


def _linkedids_in(path: str) -> set[str]:
	"""The calls an earlier run wrote to ``--out`` (a recovered call is not written twice)."""
	if path == "-" or not os.path.exists(path):
		return set()
	ids = set()
	with open(path, encoding="utf-8", errors="replace") as f:
		for line in f:
			with contextlib.suppress(ValueError, AttributeError):
				ids.add(str(json.loads(line).get("linkedid") or ""))
	return ids


def ami_tail(args) -> int:
	"""Run the AMI bridge without Frappe: finished calls as JSON lines, spooled first, until SIGINT/SIGTERM."""
	from callcenter_app.telephony.ami.bridge import Bridge
	from callcenter_app.telephony.ami.client import AmiAuthError, AmiConfig

	if not 1 <= args.port <= 65535:
		raise FieldError("--port", f"must be from 1 to 65535, not {args.port}")
	if not args.host.strip():
		raise FieldError("--host", "must not be empty")
	_check_tenant(args.tenant)
	secret = _ami_secret(args)
	out = sys.stdout
	if args.out != "-":
		try:
			out = open(args.out, "a", encoding="utf-8")
		except OSError as e:
			raise FieldError("--out", f"cannot append to {args.out}: {e.strerror}") from None
	history = _history_source(args)
	written = _linkedids_in(args.out) if history else set()
	spool = _open_spool(args.spool)

	def write(batch: list[dict]) -> None:
		for record in batch:
			out.write(json.dumps(record, sort_keys=True) + "\n")
			written.add(str(record.get("linkedid") or ""))
		out.flush()

	config = AmiConfig(args.host, args.port, args.username, secret, tenant=args.tenant or "")
	bridge = Bridge(
		config,
		spool,
		write,
		history=history.events if history else None,
		recorded=lambda ids: {i for i in ids if i in written},
		recover_since=time.time() - 60 * args.recover_minutes,
	)
	print(
		f"callcenter: ami-tail: AMI at {args.host}:{args.port} as user {args.username!r}; spool {args.spool}; "
		f"records to {'standard output' if args.out == '-' else args.out}",
		file=sys.stderr,
		flush=True,
	)
	try:
		asyncio.run(bridge.serve())
	except KeyboardInterrupt:  # before the loop's signal handlers were in place
		pass
	except AmiAuthError as e:
		print(
			f"callcenter: {e} Check --username and the secret (--secret-file or ${args.secret_env}) against "
			"the PBX's manager.conf.",
			file=sys.stderr,
		)
		return 1
	finally:
		spool.close()
		if out is not sys.stdout:
			out.close()
	left = len(bridge.spool)
	print(
		f"callcenter: ami-tail stopped{f' ({bridge.stopped_by})' if bridge.stopped_by else ''}: "
		f"{bridge.written} call record(s) written, {bridge.flushed_at_stop} call(s) recorded at shutdown"
		+ (f"; {left} record(s) left in {args.spool} for the next start" if left else ""),
		file=sys.stderr,
	)
	return 0


SIM_STRATEGIES = ("predictive", "progressive", "preview", "adapt-tapered")
SIM_DEFAULT_STRATEGIES = "predictive,adapt-tapered,progressive"


def _sim_strategies(values: list[str] | None) -> list[str]:
	"""The strategies named by repeated ``--strategy`` options and comma lists, in order, each once."""
	names: list[str] = []
	for value in values or [SIM_DEFAULT_STRATEGIES]:
		for part in value.split(","):
			name = part.strip().lower().replace("_", "-")
			if not name:
				continue
			if name not in SIM_STRATEGIES:
				raise FieldError("--strategy", f"{part.strip()!r} is not one of {', '.join(SIM_STRATEGIES)}")
			if name not in names:
				names.append(name)
	if not names:
		raise FieldError("--strategy", f"name at least one of {', '.join(SIM_STRATEGIES)}")
	return names


def _sim_number(option: str, text: str, kind: type = float, percent: bool = False) -> float:
	"""``text`` as a finite number (a whole one when ``kind`` is int); a percentage may end with '%'."""
	raw = text.strip()
	if percent and raw.endswith("%"):
		raw = raw[:-1].strip()
	try:
		value = kind(raw)
	except ValueError:
		what = "a whole number" if kind is int else "a number"
		raise FieldError(option, f"must be {what}, not {text!r}") from None
	if not math.isfinite(value):
		raise FieldError(option, f"must be a finite number, not {text!r}")
	return value


def _sim_params(args) -> tuple:
	"""The checked simulation parameters from the command line: (SimParams, days, seed, target %)."""
	from callcenter_app.dialer.pacing import MAX_ABANDON_TARGET
	from callcenter_app.dialer.simulator import DAY_S, SimParams

	max_target = 100 * MAX_ABANDON_TARGET
	operators = int(_sim_number("--operators", args.operators, int))
	if not 1 <= operators <= 2000:
		raise FieldError("--operators", f"must be from 1 to 2000, not {operators}")
	answer = _sim_number("--answer-rate", args.answer_rate, percent=True)
	if not 0 < answer <= 100:
		raise FieldError(
			"--answer-rate", f"must be a percentage of dials above 0 and at most 100, not {answer:g}"
		)
	talk = _sim_number("--talk-mean", args.talk_mean)
	if talk <= 0:
		raise FieldError("--talk-mean", f"must be more than 0 seconds, not {talk:g}")
	wrapup = _sim_number("--wrapup", args.wrapup)
	if wrapup <= 0:
		raise FieldError(
			"--wrapup", f"must be more than 0 seconds (wrap-up times are drawn log-normal), not {wrapup:g}"
		)
	days = int(_sim_number("--days", args.days, int))
	if not 1 <= days <= 366:
		raise FieldError("--days", f"must be from 1 to 366, not {days}")
	seed = int(_sim_number("--seed", args.seed, int))
	target = _sim_number("--abandon-target", args.abandon_target, percent=True)
	if not 0 < target <= max_target:
		raise FieldError(
			"--abandon-target",
			f"must be a percentage of answered calls above 0 and at most {max_target:g} (the legal limit "
			f"for abandoned calls), not {target:g}",
		)
	start_s = SimParams.shift_start_s
	max_hours = (DAY_S - start_s) / 3600
	hours = _sim_number("--shift-hours", args.shift_hours)
	if not 0 < hours <= max_hours:
		raise FieldError(
			"--shift-hours",
			f"must be above 0 and at most {max_hours:g} (shifts start at {start_s / 3600:02.0f}:00 and end "
			f"by midnight), not {hours:g}",
		)
	params = SimParams(
		operators=operators,
		answer_probability=answer / 100,
		talk_mean_s=talk,
		wrap_mean_s=wrapup,
		shift_hours=hours,
		target=target / 100,
	)
	return params, days, seed, target


def dialer_sim(args) -> int:
	"""Simulate an outbound campaign with each strategy on the same random days and compare them."""
	import time

	from callcenter_app.dialer.pacing import make_strategy
	from callcenter_app.dialer.simulator import print_comparison, run

	names = _sim_strategies(args.strategy)
	params, days, seed, target = _sim_params(args)
	shift_end = params.shift_start_s + params.shift_hours * 3600
	latest = int(shift_end // 3600) * 100 + int(shift_end % 3600 // 60)  # HHMM, ADAPT_TAPERED's clock
	show_progress = days > 1 and not args.quiet
	if "preview" in names:
		print(
			"callcenter: preview: operators dial by hand, which the simulator does not model; "
			"it places no calls",
			file=sys.stderr,
		)
	results = []
	for name in names:
		kwargs = (
			{"dropped_percentage": target, "latest_server_time": latest} if name == "adapt-tapered" else {}
		)
		started = time.perf_counter()

		def progress(day, name=name, started=started) -> None:
			print(
				f"{name}: day {day.day + 1}/{days}  abandon {day.abandon_pct:.2f} %  "
				f"talk occupancy {100 * day.occupancy_talk:.1f} %  [{time.perf_counter() - started:.1f} s]",
				file=sys.stderr,
				flush=True,
			)

		results.append(
			run(
				make_strategy(name, **kwargs),
				params,
				days=days,
				seed=seed,
				on_day=progress if show_progress else None,
			)
		)
	if args.json:
		print(json.dumps({"abandon_target_pct": target, "results": [r.as_dict() for r in results]}, indent=1))
		return 0
	print(
		f"{params.operators} operators, {100 * params.answer_probability:g} % of dials answered, talk "
		f"{params.talk_mean_s:g} s mean, wrap-up {params.wrap_mean_s:g} s mean, {days} day(s) of "
		f"{params.shift_hours:g} h, seed {seed}, abandon target {target:g} % of answered calls"
	)
	print_comparison(results)
	for r in results:
		if r.total.abandon_pct > target:
			print(
				f"note: {r.strategy} abandoned {r.total.abandon_pct:.2f} % of answered calls, above the target"
			)
	return 0


def build_parser() -> argparse.ArgumentParser:
	parser = argparse.ArgumentParser(prog="callcenter", description=__doc__)
	parser.add_argument("--version", action="version", version=f"callcenter_app {__version__}")
	parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
	sub = parser.add_subparsers(dest="command", metavar="COMMAND")

	p = sub.add_parser("route-test", help="simulate one call against an exported routes JSON")
	p.add_argument("--routes", required=True, help="routes JSON (see docs/routes-json.md)")
	p.add_argument("--did", required=True, help="the number dialled")
	p.add_argument("--caller", help="the caller's number")
	p.add_argument("--at", help="date-time of the call (ISO 8601; the routes' time zone if none is given)")
	p.add_argument(
		"--digits", help="what the caller enters at each IVR prompt, comma-separated ('' = nothing)"
	)
	p.add_argument(
		"--queue-results", help="how each queue ends: answered, timeout, full, ... (comma-separated)"
	)
	p.add_argument(
		"--dial-results", help="how each forward ends: answered, busy, noanswer, ... (comma-separated)"
	)
	p.add_argument(
		"--hang-up-after",
		type=int,
		help="the caller hangs up at the N-th prompt, queue or forward (1 or more)",
	)
	p.add_argument("--json", action="store_true", help="print the path as JSON")
	p.set_defaults(handler=route_test)

	p = sub.add_parser("agi-serve", help="run the FastAGI route server from an exported routes JSON")
	p.add_argument("--routes", required=True, help="routes JSON (reloaded when it changes)")
	p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
	p.add_argument("--port", type=int, default=4573, help="TCP port (default 4573; 0 = any free port)")
	p.add_argument(
		"--workers",
		type=int,
		help="worker processes sharing the port (default: one per CPU); each reloads the routes",
	)
	p.add_argument(
		"--tenant",
		default="",
		help="the site's tenant prefix on a shared PBX (docs/multi-tenant.md; default: none, the PBX is the site's own)",
	)
	p.set_defaults(handler=agi_serve)

	p = sub.add_parser(
		"ami-tail", help="run the AMI bridge without Frappe, writing call records as JSON lines"
	)
	p.add_argument("--host", default="127.0.0.1")
	p.add_argument("--port", type=int, default=5038)
	p.add_argument("--username", required=True, help="the AMI user (manager.conf)")
	p.add_argument("--secret-file", help="file holding the AMI secret")
	p.add_argument("--secret-env", default="CC_AMI_SECRET", help="environment variable with the secret")
	p.add_argument("--spool", default="./ami-spool", help="spool directory (records wait here until written)")
	p.add_argument("--out", default="-", help="JSON lines file to append to ('-' = standard output)")
	p.add_argument("--queue-log", help="Asterisk's queue_log, to recover calls made while disconnected")
	p.add_argument("--cdr-csv", help="Asterisk's cdr-csv Master.csv (cdr.conf [csv] newcdrcolumns=yes)")
	p.add_argument("--cdr-timezone", default="UTC", help="the time zone of Master.csv's times")
	p.add_argument(
		"--recover-minutes",
		type=int,
		default=60,
		help="at start, recover calls the logs show in the last N minutes that --out does not have",
	)
	p.add_argument(
		"--tenant",
		default="",
		help="the site's tenant prefix on a shared PBX (docs/multi-tenant.md; default: none, the PBX is the site's own)",
	)
	p.set_defaults(handler=ami_tail)

	p = sub.add_parser(
		"dialer-sim",
		help="simulate an outbound campaign and compare pacing strategies on the same random days",
		description="Simulate shifts of an outbound campaign (operators logged in from 09:00; an answer that "
		"finds no operator free within 2 s is abandoned) with each strategy on the same seeded days, and "
		"print one row per strategy: abandon % (of answered calls), worst day, occupancy, talk minutes, "
		"contacts and dials per operator-hour.",
	)
	p.add_argument(
		"--strategy",
		action="append",
		metavar="NAME[,NAME...]",
		help=f"{', '.join(SIM_STRATEGIES)}; repeat or give a comma list to compare "
		f"(default {SIM_DEFAULT_STRATEGIES})",
	)
	p.add_argument("--operators", default="20", help="operators logged in for the whole shift (default 20)")
	p.add_argument("--answer-rate", default="30", help="percent of dials answered live (default 30)")
	p.add_argument("--talk-mean", default="180", help="mean talk time in seconds (log-normal; default 180)")
	p.add_argument("--wrapup", default="10", help="mean wrap-up time in seconds after a call (default 10)")
	p.add_argument("--days", default="1", help="days (shifts) to simulate (default 1)")
	p.add_argument("--shift-hours", default="8", help="length of each shift in hours (default 8)")
	p.add_argument("--seed", default="0", help="random seed: the same seed gives the same days (default 0)")
	p.add_argument(
		"--abandon-target",
		default="3",
		help="abandoned calls allowed, percent of answered calls, at most 3 (default 3)",
	)
	p.add_argument("--json", action="store_true", help="print the results (with every day) as JSON")
	p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on standard error")
	p.set_defaults(handler=dialer_sim)
	return parser


def main(argv: list[str] | None = None) -> int:
	parser = build_parser()
	args = parser.parse_args(argv)
	logging.basicConfig(
		level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s"
	)
	if not getattr(args, "handler", None):
		parser.print_help()
		return 2
	try:
		return int(args.handler(args) or 0)
	except FieldError as e:
		print(f"callcenter: {e}", file=sys.stderr)
		return 2


if __name__ == "__main__":
	sys.exit(main())
