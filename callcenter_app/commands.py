"""`bench --site SITE callcenter …`: the long-running telephony processes and operator tools.

Each command connects to the site, reads what it needs through thin service functions and leaves the
site's connection before it blocks, so no database connection is held idle by a long-running process.
"""

import contextlib

import click
from frappe.commands import get_site, pass_context


@click.group("callcenter")
def callcenter():
	"""Call center processes and tools."""


@contextlib.contextmanager
def site_connection(context):
	"""``--site``'s name, with the site connected inside the block and disconnected after it."""
	import frappe

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		yield site
	finally:
		frappe.destroy()


@callcenter.command("check-settings")
@pass_context
def check_settings(context):
	"""Validate CC Settings and print them (the AMI secret is never printed)."""
	import frappe

	from callcenter_app.common.settings_rules import check_cc_settings

	with site_connection(context):
		settings = frappe.get_single("CC Settings")
		values = settings.as_dict()
		has_secret = bool(settings.get_password("ami_secret", raise_exception=False))
		values["ami_secret"] = ""
		for field in ("pbx_enabled", "ami_host", "ami_port", "ami_username", "agi_bind_address", "agi_port"):
			click.echo(f"{field}: {values.get(field)}")
		click.echo(f"ami_secret: {'set' if has_secret else 'not set'}")
		errors = check_cc_settings(values)
		if settings.pbx_enabled and not has_secret:
			click.echo("ami_secret: is required when the PBX bridge is enabled", err=True)
			errors.append(None)
		for error in filter(None, errors):
			click.echo(str(error), err=True)
		if errors:
			raise SystemExit(1)
		click.echo("CC Settings are valid.")


@callcenter.command("agi-server")
@click.option("--host", help="address to listen on (default: CC Settings' AGI bind address)")
@click.option("--port", type=int, help="port (default: CC Settings' AGI port)")
@click.option(
	"--workers",
	type=int,
	help="worker processes sharing the port (default: one per CPU); each loads and reloads the routes itself",
)
@pass_context
def agi_server(context, host=None, port=None, workers=None):
	"""Run the FastAGI route server for this site; routes reload when a routing record changes."""
	import logging

	import frappe

	from callcenter_app.common.errors import FieldError
	from callcenter_app.telephony.agi.server import RouteServer, ServerConfig
	from callcenter_app.telephony.agi.workers import default_workers, serve
	from callcenter_app.telephony.service import FrappeRouteSource

	logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
	with site_connection(context) as site:
		config = ServerConfig(
			host=host or frappe.db.get_single_value("CC Settings", "agi_bind_address") or "127.0.0.1",
			port=port
			if port is not None
			else int(frappe.db.get_single_value("CC Settings", "agi_port") or 4573),
		)
	count = default_workers() if workers is None else workers

	def make_server(config: ServerConfig) -> RouteServer:
		# in each worker (after the fork): its own site connection, in the source's reload thread
		return RouteServer(FrappeRouteSource(site), config)

	def announce(host: str, port: int, count: int) -> None:
		click.echo(f"FastAGI route server for {site} listening on {host}:{port} ({count} worker(s))")

	try:
		serve(config, make_server, count, announce)
	except FieldError as e:
		option = f"--{e.field}" if e.field in ("host", "port", "workers") else e.field
		click.echo(f"callcenter agi-server: {option}: {e.reason}", err=True)
		raise SystemExit(2) from None
	except KeyboardInterrupt:
		pass


@callcenter.command("render-asterisk")
@click.option(
	"--out", "out_dir", required=True, type=click.Path(file_okay=False), help="directory to write into"
)
@click.option(
	"--agi-host", help="address Asterisk reaches the AGI server at (default: CC Settings' bind address)"
)
@pass_context
def render_asterisk(context, out_dir, agi_host=None):
	"""Write pjsip.conf, queues.conf and extensions.conf from the CC records (files are mode 0600).

	Nothing is written when any record is invalid; the errors name the record and the field. Secrets are
	only in pjsip.conf, never printed.
	"""
	from callcenter_app.telephony.asterisk_config.render import RenderError, render_all, write_files
	from callcenter_app.telephony.service import asterisk_inputs

	try:
		with site_connection(context):
			rendered = render_all(*asterisk_inputs(agi_host))
	except RenderError as e:
		for error in e.errors:
			click.echo(str(error), err=True)
		raise SystemExit(1) from None
	for path in write_files(rendered, out_dir):
		click.echo(f"wrote {path}")
	click.echo(rendered.summary())
	click.echo("Reload Asterisk: asterisk -rx 'module reload res_pjsip.so app_queue.so pbx_config.so'")


@callcenter.command("import-routes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_context
def import_routes(context, path):
	"""Create or update routes and their records from a routes JSON export; all or nothing."""
	import html

	import frappe

	from callcenter_app.telephony.service import import_routes as run_import

	with site_connection(context):
		try:
			with open(path, encoding="utf-8") as f:
				counts = run_import(f.read())
			frappe.db.commit()
		except frappe.ValidationError as e:
			frappe.db.rollback()
			lines = frappe.utils.strip_html(str(e).replace("</li>", "\n"))
			click.echo(html.unescape(lines).strip(), err=True)
			raise SystemExit(1) from None
	for what in ("created", "updated"):
		for doctype, n in sorted(counts[what].items()):
			click.echo(f"{what} {n} {doctype}")


@callcenter.command("export-routes")
@pass_context
def export_routes(context):
	"""Print every route and the records it uses as routes JSON (docs/routes-json.md)."""
	from callcenter_app.telephony.routing import serialize
	from callcenter_app.telephony.service import load_routeset

	with site_connection(context):
		click.echo(serialize.dumps(load_routeset()), nl=False)


@callcenter.command("ami-bridge")
@click.option("--spool", help="spool directory (default: the site's private/ami-spool)")
@pass_context
def ami_bridge(context, spool=None):
	"""Run the AMI bridge: every finished call becomes one CC Call Log (spooled to disk first) and, per CC
	Settings, a ticket; agents' phones ringing pop up on their screens; queue members follow the
	logged-in agents."""
	import asyncio
	import logging
	import os

	import frappe

	from callcenter_app.telephony.ami.bridge import Bridge
	from callcenter_app.telephony.ami.client import AmiAuthError
	from callcenter_app.telephony.ami.spool import Spool
	from callcenter_app.telephony.presence.service import desired_members
	from callcenter_app.telephony.service import ami_config, on_site, publish_notices, write_call_logs

	logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
	with site_connection(context) as site:
		config = ami_config()
		spool_dir = spool or frappe.get_site_path("private", "ami-spool")
		sites_path = os.path.abspath(frappe.local.sites_path)
	in_site = on_site(site, sites_path)
	bridge = Bridge(
		config,
		Spool(spool_dir),
		in_site(write_call_logs),
		notify=in_site(publish_notices),
		desired_members=in_site(desired_members),
	)
	click.echo(f"AMI bridge for {site}: {config!r}, spool {spool_dir}")
	try:
		asyncio.run(bridge.run())
	except KeyboardInterrupt:
		pass
	except AmiAuthError as e:
		click.echo(str(e), err=True)
		raise SystemExit(1) from None


@callcenter.command("dialer")
@click.option("--spool", help="spool directory (default: the site's private/dialer-spool)")
@click.option(
	"--ring-timeout", type=click.IntRange(5, 120), default=25, show_default=True, help="seconds a call rings"
)
@pass_context
def dialer(context, spool=None, ring_timeout=25):
	"""Run the outbound dialer: about once a second per active progressive or predictive campaign it
	reads the operators' state from Asterisk, paces, originates and records every attempt and outcome."""
	import asyncio
	import logging
	import os
	import signal

	import frappe

	from callcenter_app.dialer.process import AlreadyRunning, DialerProcess, single_instance
	from callcenter_app.dialer.process.service import SiteStore
	from callcenter_app.telephony.ami.client import AmiAuthError
	from callcenter_app.telephony.ami.spool import Spool
	from callcenter_app.telephony.service import ami_config

	logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
	with site_connection(context) as site:
		config = ami_config()
		spool_dir = os.path.abspath(spool or frappe.get_site_path("private", "dialer-spool"))
		sites_path = os.path.abspath(frappe.local.sites_path)

	async def main():
		process = DialerProcess(
			config, SiteStore(site, sites_path, ring_timeout), Spool(spool_dir, key="key")
		)
		loop = asyncio.get_running_loop()
		for sig in (signal.SIGINT, signal.SIGTERM):
			loop.add_signal_handler(sig, process.stop)
		await process.run()

	click.echo(f"Dialer for {site}: {config!r}, spool {spool_dir}")
	try:
		with single_instance(spool_dir):
			asyncio.run(main())
	except AlreadyRunning as e:
		click.echo(f"{e}: one dialer per site", err=True)
		raise SystemExit(1) from None
	except AmiAuthError as e:
		click.echo(str(e), err=True)
		raise SystemExit(1) from None


commands = [callcenter]
