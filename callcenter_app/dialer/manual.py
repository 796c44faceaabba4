"""Manual dialing (click-to-call from the desk): the same do-not-call and calling-window rules the
console's preview dial applies, for a number typed or clicked outside a campaign's flow.

Pure: the caller (``dialer/service.check_manual_dial``) reads the lists and the campaigns; this decides.

- The global do-not-call list refuses every manual call, except one made from a ticket the user may read:
  the customer raised the matter, so calling them back about it is expected (the existing-relationship
  exemption of do-not-call rules).
- An operator's campaigns: the number on the do-not-call list of a campaign the user operates is refused,
  and when the number is a contact of such a campaign, that campaign's calling window must be open in the
  contact's zone (supervisors and managers are not bound by campaigns they do not operate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import windows


@dataclass(frozen=True)
class CampaignContact:
	campaign: str
	zones: str | tuple[str, ...]  # the contact's time zones, or its number (zones found from it)
	windows: tuple[windows.CallWindow, ...]
	default_tz: str = "UTC"


def refusal(
	number: str,
	on_global_dnc: bool,
	dnc_campaigns: Sequence[str],
	contacts: Sequence[CampaignContact],
	from_ticket: bool,
	now: dt.datetime,
) -> FieldError | None:
	"""Why ``number`` may not be dialled by hand now, or None."""
	if on_global_dnc and not from_ticket:
		return FieldError(
			"number",
			f"{number} is on the do-not-call list: it may only be called back from one of the customer's tickets",
		)
	if dnc_campaigns:
		return FieldError(
			"number", f"{number} is on the do-not-call list of campaign {', '.join(sorted(dnc_campaigns))}"
		)
	for c in contacts:
		if not windows.is_callable_at(c.zones, c.windows, now, c.default_tz):
			local = ", ".join(windows.resolve_zones(c.zones, c.default_tz))
			return FieldError(
				"number",
				f"the calling window of campaign {c.campaign} is closed for {number} ({local})",
			)
	return None
