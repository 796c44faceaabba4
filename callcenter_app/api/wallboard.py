"""The wallboard's first view and the Call Center workspace's number cards.

Who may read CC Wallboard Settings (Agent Supervisor, Call Center Manager, System Manager) sees the live queue state
(the page, calls waiting, agents available); today's QoS and abandon % follow the Queue QoS report's rule
(read permission on CC Call Log)."""

import frappe
from frappe import _

from callcenter_app.common import roles
from callcenter_app.metrics.service import WALLBOARD, wallboard_snapshot
from callcenter_app.utils import requires

CALL_LOG = "CC Call Log"


def _require(doctype: str) -> None:
	if not frappe.has_permission(doctype, "read"):
		frappe.throw(_("Not permitted to read {0}").format(_(doctype)), frappe.PermissionError)


@frappe.whitelist(methods=["GET"])
@requires(roles.READ_WALLBOARD)
def snapshot() -> dict:
	"""Everything the wallboard shows, as last published (``live``) or from the database alone."""
	_require(WALLBOARD)
	return wallboard_snapshot()


def _card(value, fieldtype: str) -> dict | str:
	if value is None:
		return _("No calls yet")
	return {"value": value, "fieldtype": fieldtype, "route": ["cc-wallboard"]}


@frappe.whitelist(methods=["GET", "POST"])
@requires(roles.READ_WALLBOARD)
def calls_waiting(filters=None):
	_require(WALLBOARD)
	snap = wallboard_snapshot()
	if not snap["live"]:
		return _("No live feed")
	return {"value": snap["waiting"], "fieldtype": "Int", "route": ["cc-wallboard"]}


@frappe.whitelist(methods=["GET", "POST"])
@requires(roles.READ_WALLBOARD)
def agents_available(filters=None):
	_require(WALLBOARD)
	return {
		"value": wallboard_snapshot()["agents"]["available"],
		"fieldtype": "Int",
		"route": ["cc-wallboard"],
	}


@frappe.whitelist(methods=["GET", "POST"])
@requires(roles.DESK_USER)
def qos_today(filters=None):
	_require(CALL_LOG)
	return _card(wallboard_snapshot()["today"]["qos"], "Percent")


@frappe.whitelist(methods=["GET", "POST"])
@requires(roles.DESK_USER)
def abandon_today(filters=None):
	_require(CALL_LOG)
	return _card(wallboard_snapshot()["today"]["abandon_pct"], "Percent")
