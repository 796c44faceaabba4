"""Charging calls to credit accounts, the pure rules (the glue is ``service.py`` beside this file).

- Which account pays an answered outbound call: its campaign's Credit Account, else its queue's, else the
  SIP account's of the agent who made it, else the site's own account (the CC Credit Account without a
  customer); none of them → the call is marked "No Account" and costs nothing.
- Which calls are rated: outbound, status ``answered``, not rated before (``credit_status`` empty). Each gets
  one status, written in the same transaction as its ledger entry: ``Charged`` (an entry ``call:<name>``),
  ``Free`` (0 billable seconds), ``No Rate`` (no prefix matches: reported, never silently free; rated again
  once the plan has the prefix — the marker is cleared by :func:`callcenter_app.credit.charging.service.rerate`),
  ``No Account``.
- New calls are placed for an account only while its balance is above zero (``ledger.can_dial``).
"""

from __future__ import annotations

from callcenter_app.common.errors import FieldError

from .. import money
from ..ledger import can_dial

CHARGED, FREE, NO_RATE, NO_ACCOUNT = "Charged", "Free", "No Rate", "No Account"


def first_account(*candidates: str | None) -> str | None:
	"""The first account set, in order of precedence (campaign, queue, SIP account, site)."""
	return next((c for c in candidates if c), None)


def dial_refusal(
	account: str, balance_minor: int, currency: str, status: str = "Active"
) -> FieldError | None:
	"""Why no new call may be placed on ``account`` now, or None."""
	if status and status != "Active":
		return FieldError("credit_account", f"credit account {account} is {status}: no new calls are placed")
	if not can_dial(balance_minor):
		return FieldError(
			"credit_account",
			f"credit account {account} has no credit left (balance {money.format_minor(balance_minor, currency)}): "
			"no new calls are placed until it is topped up",
		)
	return None
