"""Manual dialing: the do-not-call and calling-window rules for a call a person starts — the operator
console's preview dial (:func:`preview_refusal`) and click-to-call from the desk (:func:`refusal`), for a
number typed or clicked outside a campaign's flow.

Pure: the callers (``dialer/console/call_service.check_dial``, ``dialer/service.check_manual_dial``) read
the lists and the campaigns; this decides.

- A preview dial: the number on the campaign's own do-not-call list is refused, on the global list too
  when the campaign checks it; then the campaign's calling window must be open in the contact's zones (the
  refusal says when it opens next).

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
from zoneinfo import ZoneInfo

from callcenter_app.common.errors import FieldError
from callcenter_app.dialer import windows


@dataclass(frozen=True)
class CampaignContact:
	campaign: str
	zones: str | tuple[str, ...]  # the contact's time zones, or its number (zones found from it)
	windows: tuple[windows.CallWindow, ...]
	default_tz: str = "UTC"


def preview_refusal(
	number: str,
	contact: CampaignContact,
	on_campaign_dnc: bool,
	on_global_dnc: bool,
	now: dt.datetime,
	shown_in: str,
) -> FieldError | None:
	"""Why the operator may not dial their preview contact ``number`` now, or None. ``on_global_dnc`` is
	only true when the campaign checks the global list. The next opening of a closed window is shown as
	wall-clock time in ``shown_in`` (the system time zone, as the desk shows every time)."""
	if on_campaign_dnc or on_global_dnc:
		where = "the campaign's do-not-call list" if on_campaign_dnc else "the do-not-call list"
		return FieldError("contact", f"{number} is on {where}: it may not be called")
	if windows.is_callable_at(contact.zones, contact.windows, now, contact.default_tz):
		return None
	opens = windows.next_open(contact.zones, contact.windows, now, contact.default_tz)
	local = ", ".join(windows.resolve_zones(contact.zones, contact.default_tz))
	when = (
		f"it opens at {opens.astimezone(ZoneInfo(shown_in)):%Y-%m-%d %H:%M}"
		if opens
		else "it does not open in the next two weeks"
	)
	return FieldError("contact", f"the calling window is closed for {number} ({local}): {when}")


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
