"""`bench --site SITE callcenter …`: the long-running telephony processes and operator tools.

Each command connects to the site, reads what it needs through thin service functions and leaves the
site's connection before it blocks, so no database connection is held idle by a long-running process.
"""

import contextlib
import os

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
	from callcenter_app.telephony.routing.service import FrappeRouteSource

	logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
	with site_connection(context) as site:
		config = ServerConfig(
			host=host or frappe.db.get_single_value("CC Settings", "agi_bind_address") or "127.0.0.1",
			port=port
			if port is not None
			else int(frappe.db.get_single_value("CC Settings", "agi_port") or 4573),
			tenant=frappe.db.get_single_value("CC Settings", "tenant_prefix") or "",
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
@click.option(
	"--sounds-dir",
	type=click.Path(file_okay=False),
	help="Asterisk's sounds folder (e.g. /var/lib/asterisk/sounds): announcements go to its custom/ "
	"(default: OUT/sounds, to copy there)",
)
@pass_context
def render_asterisk(context, out_dir, agi_host=None, sounds_dir=None):
	"""Write pjsip.conf, queues.conf, extensions.conf and features.conf from the CC records (mode 0600),
	and every CC Announcement as 8 kHz mono WAV under SOUNDS_DIR/custom/ (what Playback finds).

	Nothing is written when any record is invalid; the errors name the record and the field. Secrets are
	only in pjsip.conf, never printed.
	"""
	from callcenter_app.telephony.asterisk_config.render import (
		RenderError,
		include_lines,
		render_all,
		write_files,
	)
	from callcenter_app.telephony.asterisk_config.service import (
		asterisk_inputs,
		tenant_prefix,
		webrtc_settings,
	)
	from callcenter_app.telephony.pbx.service import announcement_audio
	from callcenter_app.telephony.pbx.sounds import write_sounds
	from callcenter_app.telephony.tenant import Tenant

	try:
		with site_connection(context):
			prefix = tenant_prefix()
			rendered = render_all(*asterisk_inputs(agi_host), webrtc_settings(), tenant=prefix)
			audio = announcement_audio()
	except RenderError as e:
		for error in e.errors:
			click.echo(str(error), err=True)
		raise SystemExit(1) from None
	for path in write_files(rendered, out_dir):
		click.echo(f"wrote {path}")
	click.echo(rendered.summary())
	for main, line in include_lines(
		prefix, "http.conf" in rendered.files
	).items():  # a shared PBX: the main files include each site's
		click.echo(f"{main} needs the line: {line}")
	sounds, errors = write_sounds(sounds_dir or os.path.join(out_dir, "sounds"), audio, Tenant(prefix))
	click.echo(f"{len(sounds)} announcement(s) written as 8 kHz mono WAV")
	for error in errors:
		click.echo(str(error), err=True)
	click.echo(
		"Reload Asterisk: asterisk -rx 'module reload res_pjsip.so app_queue.so pbx_config.so features'"
		+ (" (http.conf: 'module reload http')" if "http.conf" in rendered.files else "")
	)
	if errors:
		raise SystemExit(1)


@callcenter.command("check-pbx")
@pass_context
def check_pbx(context):
	"""Compare the site with the live PBX over AMI: permissions, contexts, the trunk, queues, sounds the
	routes play and SIP endpoints. One line each; exits 1 when anything is missing."""
	from callcenter_app.telephony.ami.client import AmiActionError, AmiError
	from callcenter_app.telephony.ami.oneshot import AmiSession
	from callcenter_app.telephony.ami.service import ami_config
	from callcenter_app.telephony.pbx.check import findings, gather
	from callcenter_app.telephony.pbx.service import expected

	with site_connection(context):
		config = ami_config()
		wanted = expected()
	click.echo(f"PBX {config.host}:{config.port} as {config.username}")
	try:
		with AmiSession(config) as ami:
			facts = gather(ami, wanted, errors=(AmiActionError,))
	except AmiError as e:
		click.echo(f"cannot check the PBX: {e}", err=True)
		raise SystemExit(2) from None
	results = findings(wanted, facts)
	for finding in results:
		click.echo(finding.line())
	missing = sum(not f.ok for f in results)
	click.echo(f"{len(results) - missing} ok, {missing} missing")
	if missing:
		raise SystemExit(1)


@callcenter.command("import-routes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_context
def import_routes(context, path):
	"""Create or update routes and their records from a routes JSON export; all or nothing."""
	import html

	import frappe

	from callcenter_app.telephony.routing.service import import_routes as run_import

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
	from callcenter_app.telephony.routing.service import load_routeset

	with site_connection(context):
		click.echo(serialize.dumps(load_routeset()), nl=False)


@callcenter.command("demo")
@pass_context
def demo(context):
	"""Fill the site with a small working call center: routes, queues, agents with SIP accounts, a campaign
	with its call list (callcenter_app/demo/service.py). Creates only what is missing; all or nothing."""
	import html

	import frappe

	from callcenter_app.demo.service import install_demo

	with site_connection(context) as site:
		frappe.set_user("Administrator")
		try:
			made = install_demo(say=lambda line: click.echo(f"  {line}"))
			frappe.db.commit()
		except frappe.ValidationError as e:
			frappe.db.rollback()
			lines = frappe.utils.strip_html(str(e).replace("</li>", "\n"))
			click.echo(f"demo not installed: {html.unescape(lines).strip()}", err=True)
			raise SystemExit(1) from None
	for doctype, n in sorted(made.items()):
		click.echo(f"created {n} {doctype}")
	if not made:
		click.echo("the demo was already there; nothing created")
	click.echo(
		f"Next: bench --site {site} set-password demo-ann@example.com; open /app/cc-route/Demo Main and "
		"/app/cc-console; `callcenter render-asterisk` writes the PBX configuration."
	)


AMI_LOGIN_HINT = "Check CC Settings (AMI Username/Secret) and the PBX's manager.conf."


@callcenter.command("ami-bridge")
@click.option("--spool", help="spool directory (default: the site's private/ami-spool)")
@click.option("--queue-log", help="Asterisk's queue_log: calls made while the bridge was away are recovered")
@click.option("--cdr-csv", help="Asterisk's cdr-csv Master.csv (cdr.conf [csv] newcdrcolumns=yes)")
@click.option(
	"--cdr-timezone",
	help="the time zone of Master.csv's times: the PBX machine's (UTC with usegmtime=yes); "
	"default: the site's time zone",
)
@click.option("--recover-minutes", type=int, default=60, help="how far back the first start looks")
@pass_context
def ami_bridge(context, spool=None, queue_log=None, cdr_csv=None, cdr_timezone=None, recover_minutes=60):
	"""Run the AMI bridge: every finished call becomes one CC Call Log (spooled to disk first) and, per CC
	Settings, a ticket; agents' phones ringing pop up on their screens; queue members follow the
	logged-in agents. One bridge per spool: a second one is refused. On SIGTERM/SIGINT it records the calls
	that ended and writes what it can for up to 5 s; the rest is written at the next start."""
	import asyncio
	import logging
	import os
	import time
	from zoneinfo import ZoneInfo

	import frappe

	from callcenter_app.telephony.ami.bridge import Bridge
	from callcenter_app.telephony.ami.client import AmiAuthError
	from callcenter_app.telephony.ami.recovery import HistorySource
	from callcenter_app.telephony.ami.service import ami_config, on_site
	from callcenter_app.telephony.ami.spool import Spool, SpoolInUse
	from callcenter_app.telephony.call_logs.service import write_call_logs, written_call_logs
	from callcenter_app.telephony.notices.service import publish_notices
	from callcenter_app.telephony.presence.service import desired_members

	logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
	try:
		with site_connection(context) as site:
			config = ami_config()
			spool_dir = os.path.abspath(spool or frappe.get_site_path("private", "ami-spool"))
			sites_path = os.path.abspath(frappe.local.sites_path)
			timezone = cdr_timezone or frappe.utils.get_system_timezone()
	except frappe.ValidationError as e:  # the PBX bridge is not enabled in CC Settings
		click.echo(frappe.utils.strip_html(str(e)), err=True)
		raise SystemExit(1) from None
	try:
		opened = Spool(spool_dir)
	except SpoolInUse as e:
		click.echo(f"--spool: {e}; one AMI bridge per spool (is it running already?)", err=True)
		raise SystemExit(1) from None
	except OSError as e:
		click.echo(f"--spool: cannot use {spool_dir} as the spool directory: {e.strerror or e}", err=True)
		raise SystemExit(1) from None
	try:
		ZoneInfo(timezone)
	except (ValueError, KeyError):
		click.echo(f"--cdr-timezone: {timezone!r} is not a time zone", err=True)
		raise SystemExit(1) from None
	in_site = on_site(site, sites_path)
	history = HistorySource(queue_log, cdr_csv, timezone) if (queue_log or cdr_csv) else None
	for option, path in (("--queue-log", queue_log), ("--cdr-csv", cdr_csv)):
		if path and not os.access(path, os.R_OK):
			click.echo(f"{option}: cannot read {path}", err=True)
			raise SystemExit(1)
	bridge = Bridge(
		config,
		opened,
		in_site(write_call_logs),
		notify=in_site(publish_notices),
		desired_members=in_site(desired_members),
		history=history.events if history else None,
		recorded=in_site(written_call_logs),
		recover_since=time.time() - 60 * max(0, recover_minutes),
	)
	click.echo(f"AMI bridge for {site}: {config!r}, spool {spool_dir}")
	try:
		asyncio.run(bridge.serve())
	except KeyboardInterrupt:  # before the loop's signal handlers were in place
		pass
	except AmiAuthError as e:
		click.echo(f"{e} {AMI_LOGIN_HINT}", err=True)
		raise SystemExit(1) from None
	finally:
		opened.close()


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

	from callcenter_app.dialer.process.loop import AlreadyRunning, DialerProcess, single_instance
	from callcenter_app.dialer.process.service import SiteStore
	from callcenter_app.telephony.ami.client import AmiAuthError
	from callcenter_app.telephony.ami.service import ami_config
	from callcenter_app.telephony.ami.spool import Spool, SpoolInUse

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
	except SpoolInUse as e:
		click.echo(f"--spool: {e}; the dialer needs a spool of its own", err=True)
		raise SystemExit(1) from None
	except AmiAuthError as e:
		click.echo(f"{e} {AMI_LOGIN_HINT}", err=True)
		raise SystemExit(1) from None


@callcenter.command("restore-drill")
@click.option(
	"--db-root-password",
	"--mariadb-root-password",
	help="database root password (creates and drops the scratch site); default: common_site_config's root_password",
)
@click.option("--db-root-username", "--mariadb-root-username", default="root", show_default=True)
@pass_context
def restore_drill(context, db_root_password=None, db_root_username="root"):
	"""Restore the latest backup (`backup --with-files`) into a scratch site, compare record counts per
	table (CC doctypes, HD Ticket, Contact, File) and files, drop the scratch site; exit 1 on any difference."""
	import frappe

	from callcenter_app.common.errors import FieldError
	from callcenter_app.ops import service

	with site_connection(context):
		password = db_root_password or frappe.conf.get("root_password")
		if not password:
			click.echo(
				"restore-drill: --db-root-password: is required (or root_password in common_site_config)",
				err=True,
			)
			raise SystemExit(2)
		try:
			ok = service.restore_drill(password, db_root_username, echo=click.echo)
		except FieldError as e:
			click.echo(f"restore-drill: {e.field}: {e.reason}", err=True)
			raise SystemExit(2) from None
		except RuntimeError as e:
			click.echo(f"restore-drill: {e}", err=True)
			raise SystemExit(1) from None
	if not ok:
		raise SystemExit(1)


commands = [callcenter]
