"""Frappe glue for AMI: the connection settings (CC Settings), a site connection per worker thread for the
long-running processes, and the desk's one-shot sessions (click-to-call, transfers, listen / whisper /
barge; ``api/telephony.py`` and ``api/console.py``)."""

from __future__ import annotations

from contextlib import contextmanager

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.telephony import actions
from callcenter_app.utils import throw_field_error


def ami_config():
	"""The AMI connection from CC Settings (the secret decrypted here, never logged)."""
	from callcenter_app.telephony.ami.client import AmiConfig

	settings = frappe.get_single("CC Settings")
	if not settings.pbx_enabled:
		frappe.throw(frappe._("CC Settings: enable the PBX bridge first"))
	return AmiConfig(
		host=settings.ami_host or "127.0.0.1",
		port=int(settings.ami_port or 5038),
		username=settings.ami_username or "",
		secret=settings.get_password("ami_secret", raise_exception=False) or "",
		tenant=settings.tenant_prefix or "",
	)


def on_site(site: str, sites_path: str | None = None):
	"""Wrap ``func`` so each call runs on a fresh connection to ``site`` in the calling thread (frappe.local
	is per thread): what the AMI bridge hands its worker threads."""

	def wrap(func):
		def run(*args):
			frappe.init(site=site, sites_path=sites_path or ".")
			try:
				frappe.connect()
				return func(*args)
			finally:
				frappe.destroy()

		return run

	return wrap


# --- the desk's one-shot sessions -----------------------------------------------------------------------


@contextmanager
def pbx_session():
	"""One short AMI session; Asterisk refusing or not answering becomes a message (never the secret)."""
	from callcenter_app.telephony.ami.client import AmiError
	from callcenter_app.telephony.ami.oneshot import AmiSession

	try:
		with AmiSession(ami_config()) as ami:
			yield ami
	except AmiError as e:
		frappe.throw(_("The phone system refused or did not answer: {0}").format(e), title=_("PBX"))


def send_actions(*todo: actions.Action) -> None:
	"""Send the actions over one short session, in order."""
	with pbx_session() as ami:
		for a in todo:
			ami.action(a.name, a.fields, a.variables)


def live_call(agent_account: str) -> actions.LiveCall:
	"""The call the agent's softphone is in now (refused with a message when there is none)."""
	with pbx_session() as ami:
		channels = ami.action_list("CoreShowChannels")
	try:
		return actions.agent_call(channels, agent_account)
	except FieldError as e:
		throw_field_error(e)
