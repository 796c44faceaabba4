"""`callcenter`: the console script that runs the engines with no Frappe (route tests, servers, simulators)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from zoneinfo import ZoneInfo

from callcenter_app import __version__
from callcenter_app.common.errors import FieldError


def _read_routes(path: str):
	from callcenter_app.telephony.routing.serialize import loads

	try:
		with open(path, encoding="utf-8") as f:
			return loads(f.read())
	except OSError as e:
		raise FieldError("--routes", f"cannot read {path}: {e.strerror}") from None


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
	from callcenter_app.telephony.routing.simulate import simulate
	from callcenter_app.telephony.routing.validate import validate_routeset

	routes = _read_routes(args.routes)
	problems = validate_routeset(routes)
	for problem in problems:
		print(f"warning: {problem}", file=sys.stderr)
	sim = simulate(
		routes,
		args.did,
		args.caller or "",
		_when(args.at, routes.timezone),
		digits=_csv(args.digits),
		queue_results=_csv(args.queue_results),
		dial_results=_csv(args.dial_results),
		hang_up_after=args.hang_up_after,
	)
	if args.json:
		print(json.dumps(sim.as_dict(), indent=1, default=str))
	else:
		print(sim.describe())
	return 0 if sim.outcome is None or sim.outcome.result != "rejected" else 1


def agi_serve(args) -> int:
	"""Serve routes from an exported JSON file over FastAGI until interrupted."""
	from callcenter_app.telephony.agi.server import (
		FileRouteSource,
		RouteServer,
		ServerConfig,
		install_fast_loop,
	)

	install_fast_loop()
	source = FileRouteSource(args.routes)
	server = RouteServer(source, ServerConfig(host=args.host, port=args.port))
	try:
		asyncio.run(server.serve_forever())
	except KeyboardInterrupt:
		pass
	return 0


def ami_tail(args) -> int:
	"""Run the AMI bridge without Frappe: finished calls as JSON lines, spooled first, until interrupted."""
	import os

	from callcenter_app.telephony.ami.bridge import Bridge
	from callcenter_app.telephony.ami.client import AmiAuthError, AmiConfig
	from callcenter_app.telephony.ami.spool import Spool

	secret = os.environ.get(args.secret_env, "")
	if args.secret_file:
		with open(args.secret_file, encoding="utf-8") as f:
			secret = f.read().strip()
	if not secret:
		raise FieldError(
			"secret", f"give --secret-file or set ${args.secret_env} (never on the command line)"
		)
	out = sys.stdout if args.out == "-" else open(args.out, "a", encoding="utf-8")

	def write(batch: list[dict]) -> None:
		for record in batch:
			out.write(json.dumps(record, sort_keys=True) + "\n")
		out.flush()

	bridge = Bridge(AmiConfig(args.host, args.port, args.username, secret), Spool(args.spool), write)
	try:
		asyncio.run(bridge.run())
	except KeyboardInterrupt:
		pass
	except AmiAuthError as e:
		print(f"callcenter: {e}", file=sys.stderr)
		return 1
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
		"--hang-up-after", type=int, help="the caller hangs up at the N-th prompt, queue or forward"
	)
	p.add_argument("--json", action="store_true", help="print the path as JSON")
	p.set_defaults(handler=route_test)

	p = sub.add_parser("agi-serve", help="run the FastAGI route server from an exported routes JSON")
	p.add_argument("--routes", required=True)
	p.add_argument("--host", default="127.0.0.1")
	p.add_argument("--port", type=int, default=4573)
	p.set_defaults(handler=agi_serve)

	p = sub.add_parser(
		"ami-tail", help="run the AMI bridge without Frappe, writing call records as JSON lines"
	)
	p.add_argument("--host", default="127.0.0.1")
	p.add_argument("--port", type=int, default=5038)
	p.add_argument("--username", required=True)
	p.add_argument("--secret-file", help="file holding the AMI secret")
	p.add_argument("--secret-env", default="CC_AMI_SECRET", help="environment variable with the secret")
	p.add_argument("--spool", default="./ami-spool", help="spool directory (records wait here until written)")
	p.add_argument("--out", default="-", help="JSON lines file to append to ('-' = standard output)")
	p.set_defaults(handler=ami_tail)
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
