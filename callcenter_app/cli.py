"""`callcenter`: the console script that runs the engines with no Frappe (route tests, simulators, tails)."""

from __future__ import annotations

import argparse
import sys

from callcenter_app import __version__


def build_parser() -> argparse.ArgumentParser:
	parser = argparse.ArgumentParser(prog="callcenter", description=__doc__)
	parser.add_argument("--version", action="version", version=f"callcenter_app {__version__}")
	parser.add_subparsers(dest="command", metavar="COMMAND")
	return parser


def main(argv: list[str] | None = None) -> int:
	parser = build_parser()
	args = parser.parse_args(argv)
	if not getattr(args, "handler", None):
		parser.print_help()
		return 2
	return int(args.handler(args) or 0)


if __name__ == "__main__":
	sys.exit(main())
