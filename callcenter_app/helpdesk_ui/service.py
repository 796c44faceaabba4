"""Frappe glue for the app's tools inside Helpdesk's agent UI (/helpdesk), without changing Helpdesk.

- **On a ticket**: an HD Form Script (Helpdesk's own extension point: its agent UI runs the enabled scripts
  of HD Ticket and shows the ``actions`` they return in the ticket's header) named ``CC Helpdesk Tools``;
  its text is ``public/js/helpdesk/form_script.js``. ``ensure_form_script`` (after_install and
  after_migrate) creates it once, enabled, and afterwards keeps its text current without touching its
  Enabled switch; other HD Form Scripts, the admins' own, are never read or changed.
- **On every /helpdesk page**: /helpdesk is a www page with no include hook, so ``inject_assets``, an
  ``after_request`` hook, adds the app's bundle (``cc_helpdesk.bundle.js``: phone bar, incoming-call
  popup, "Pull next ticket", the ticket clock; plus the phone bar's own bundle when it is built) to the
  HTML of /helpdesk for desk (System) users only. Portal customers, guests and non-HTML responses are left
  alone; site config ``cc_helpdesk_tools: 0`` switches it off.
"""

from __future__ import annotations

import os

import frappe

from callcenter_app.common import roles
from callcenter_app.helpdesk_ui import page
from callcenter_app.utils import has_capability

FORM_SCRIPT = "CC Helpdesk Tools"
FORM_SCRIPT_FILE = os.path.join(os.path.dirname(__file__), "..", "public", "js", "helpdesk", "form_script.js")

# (assets.json key, kind): the phone bar's bundle first (ours mounts it), then ours.
BUNDLES = (
	("phone_bar.bundle.css", "style"),
	("phone_bar.bundle.js", "script"),
	("cc_helpdesk.bundle.js", "script"),
)


# --- the ticket actions ----------------------------------------------------------------------------------


def form_script_text() -> str:
	with open(FORM_SCRIPT_FILE, encoding="utf-8") as f:
		return f.read()


def ensure_form_script() -> None:
	"""Create ``CC Helpdesk Tools`` once (enabled), then keep its script, doctype and scope current. Its
	Enabled switch is the admin's after creation; other HD Form Scripts are not touched."""
	if not frappe.db.table_exists("HD Form Script"):
		return
	wanted = {
		"dt": "HD Ticket",
		"apply_to": "Form",
		"apply_to_customer_portal": 0,
		"script": form_script_text(),
	}
	if not frappe.db.exists("HD Form Script", FORM_SCRIPT):
		doc = frappe.get_doc({"doctype": "HD Form Script", "enabled": 1, **wanted})
		doc.insert(ignore_permissions=True, set_name=FORM_SCRIPT)
		return
	doc = frappe.get_doc("HD Form Script", FORM_SCRIPT)
	if any(doc.get(field) != value for field, value in wanted.items()):
		doc.update(wanted)
		doc.save(ignore_permissions=True)


# --- the bundle on /helpdesk pages -----------------------------------------------------------------------


def is_agent(user: str) -> bool:
	"""Desk (System) users who use the app's tools; portal customers and guests are not."""
	if not user or user == "Guest":
		return False
	if frappe.get_cached_value("User", user, "user_type") != "System User":
		return False
	return any(has_capability(c, user) for c in (roles.AGENT_TOOLS, roles.PLACE_CALLS, roles.USE_PHONE))


def wanted(request, response) -> bool:
	"""Cheap tests first: the path, the response type; the user last."""
	if request is None or response is None or request.method not in ("GET", "HEAD"):
		return False
	if not page.is_helpdesk_page(request.path):
		return False
	if getattr(response, "direct_passthrough", False) or not page.is_html(
		response.mimetype, response.status_code
	):
		return False
	if frappe.conf.get("cc_helpdesk_tools") in (0, "0", False):
		return False
	return is_agent(frappe.session.user if getattr(frappe.local, "session", None) else "Guest")


def asset_urls() -> tuple[list[str], list[str]]:
	"""The hashed paths of the bundles that are built (a bundle missing from assets.json is left out, so a
	page never asks for a file that is not there)."""
	from frappe.utils import get_assets_json

	built = get_assets_json() or {}
	scripts, styles = [], []
	for key, kind in BUNDLES:
		if built.get(key):
			(scripts if kind == "script" else styles).append(built[key])
	return scripts, styles


def boot(user: str) -> dict:
	"""What the bundle needs before its first request: where socket.io is and what the user may do."""
	return {
		"user": user,
		"site_name": frappe.local.site,
		"socketio_port": frappe.conf.get("socketio_port") or 9000,
		"can": {
			"call": has_capability(roles.PLACE_CALLS, user),
			"phone": has_capability(roles.USE_PHONE, user),
			"tickets": has_capability(roles.AGENT_TOOLS, user),
		},
	}


def inject_assets(response=None, request=None) -> None:
	"""``after_request``: the app's bundle in the HTML of /helpdesk pages, for agents only."""
	if not wanted(request, response):
		return
	scripts, styles = asset_urls()
	if not scripts:
		return
	html = response.get_data(as_text=True)
	response.set_data(page.inject(html, page.tags(scripts, styles, boot(frappe.session.user))))
