"""Frappe glue for the operator console: what every part of it shares — who may use it (operators and
managers; acting in a campaign needs being its active operator), how a refusal reads ('Label: reason'), the
campaign record, and the realtime event each change is published with (``callcenter:console``, after
commit, without phone numbers).

The console's glue, one file per concern (rules in ``rules.py``; endpoints in ``api/console.py``, which
checks who may act before calling anything):

- ``campaigns/service.py`` — the campaigns an operator sees, join / leave, the campaign the console shows;
- ``phone/service.py`` — the operator's phone presence, pause and resume;
- ``contacts/service.py`` — the current contact and what the console shows around it;
- ``calls/service.py`` — preview picks and dials, calls that reached the operator, outcomes, skips and
  transfers' hand-over.

Contacts and attempts are written through ``dialer/service.py``; nothing here commits.
"""

from __future__ import annotations

import frappe
from frappe import _

from callcenter_app.common import roles
from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import service as dialer
from callcenter_app.utils import has_capability, throw_field_errors

CAMPAIGN_DEFAULT = "cc_console_campaign"  # the campaign the console shows (user default)
RESUME_DEFAULT = "cc_console_resume_mode"  # the work mode before a pause (user default)
EVENT = "callcenter:console"
FINAL = ("Completed", "Closed")
LABELS = {
	"campaign": "Campaign",
	"contact": "Contact",
	"number": "Number",
	"outcome": "Outcome",
	"callback_at": "Call back at",
	"private": "Private callback",
	"to_user": "Transfer to",
	"mode": "Transfer mode",
	"work_mode": "Work mode",
	"agent": "Agent",
	"attempt": "Attempt",
	"credit_account": "Credit Account",
}
HISTORY_LIMIT = 20
CALLBACK_LIMIT = 50


# -------------------------------------------------------------------------------------------------- errors


def refuse(errors: list[FieldError], title: str | None = None) -> None:
	"""Refuse with every problem, each as 'Label: reason' (the console's labels)."""
	throw_field_errors(LABELS, errors, title=title or _("Operator console"))


def not_permitted(message: str) -> None:
	frappe.throw(message, frappe.PermissionError, title=_("Not permitted"))


# -------------------------------------------------------------------------------------------------- who


def require_console_user(user: str) -> None:
	"""Operators and managers use the console; anyone else is refused."""
	if not has_capability(roles.USE_CONSOLE, user):
		not_permitted(_("{0} is not an operator").format(user))


def require_viewer(campaign: str, user: str) -> None:
	"""Managers see every campaign; an operator only the campaigns where they are an active operator."""
	require_console_user(user)
	if not dialer.is_manager(user) and not dialer.is_operator(campaign, user):
		not_permitted(_("{0} is not an active operator of campaign {1}").format(user, campaign))


def require_operator(campaign: str, user: str) -> None:
	"""Acting in a campaign (dialing, outcomes, transfers) needs being its active operator, managers too."""
	require_console_user(user)
	if not dialer.is_operator(campaign, user):
		not_permitted(
			_("{0} is not an active operator of campaign {1}: join it first").format(user, campaign)
		)


def require_some_campaign(user: str) -> None:
	"""Pause and resume: a manager, or an active operator of at least one campaign."""
	require_console_user(user)
	if dialer.is_manager(user):
		return
	if not frappe.db.exists(
		"CC Campaign Operator", {"parenttype": dialer.CAMPAIGN, "user": user, "active": 1}
	):
		not_permitted(_("{0} is not an active operator of any campaign").format(user))


def operator_row(campaign: str, user: str) -> frappe._dict | None:
	return frappe.db.get_value(
		"CC Campaign Operator",
		{"parenttype": dialer.CAMPAIGN, "parent": campaign, "user": user},
		["name", "active"],
		as_dict=True,
	)


def campaign_doc(campaign: str):
	if not campaign or not frappe.db.exists(dialer.CAMPAIGN, campaign):
		refuse([FieldError("campaign", _("{0} is not a CC Campaign").format(campaign))])
	return frappe.get_doc(dialer.CAMPAIGN, campaign)


# ------------------------------------------------------------------------------------------- realtime


def publish(users, campaign: str, what: str, contact: str | None = None) -> None:
	"""Tell each user's console that ``what`` changed in ``campaign`` (it reloads through ``current``, which
	checks permissions again: no phone number or name travels in the event)."""
	for user in sorted(set(users)):
		frappe.publish_realtime(
			EVENT, {"campaign": campaign, "what": what, "contact": contact}, user=user, after_commit=True
		)
