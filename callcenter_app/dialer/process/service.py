"""Frappe glue of the dialer process: the :class:`~callcenter_app.dialer.process.loop.Store` on a site's records.

Each method runs in the process's worker thread, wrapped by ``telephony.ami.service.on_site`` (a fresh site
connection per call, as Administrator, a manager for ``dialer.service.check_may_dial``), and commits what
it did: nothing else would. The records are written by ``dialer/service.py`` (``next_contacts``,
``create_attempt``, ``update_attempt``, ``record_outcome``, ``release_contacts``); this module only
adds what the process needs around them.
"""

from __future__ import annotations

import datetime as dt
import logging

import frappe
from frappe.utils import cint

from callcenter_app.dialer import service
from callcenter_app.dialer.process.loop import Claim
from callcenter_app.dialer.runner import CampaignConfig
from callcenter_app.telephony.ami.service import on_site
from callcenter_app.utils import from_utc, to_utc

log = logging.getLogger("callcenter.dialer")

DEFAULT_RING_TIMEOUT_S = 25
AUTO_MODES = ("Progressive", "Predictive")  # preview campaigns are dialed by their operators
# a record the site refuses for good (it is logged and dropped); anything else is retried
REFUSED = (frappe.ValidationError, frappe.DoesNotExistError, frappe.PermissionError)


def _utc(seconds: float | None) -> dt.datetime | None:
	return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


class FrappeStore:
	"""The dialer's records on the connected site (see the module docstring)."""

	def __init__(self, ring_timeout_s: int = DEFAULT_RING_TIMEOUT_S):
		self.ring_timeout_s = ring_timeout_s

	def campaigns(self) -> list[CampaignConfig]:
		names = frappe.get_all(
			service.CAMPAIGN,
			filters={"status": "Active", "direction": "Outbound", "dialer_mode": ["in", AUTO_MODES]},
			pluck="name",
			order_by="name asc",
		)
		from callcenter_app.credit.charging.service import campaign_refusal

		configs = []
		for name in names:
			refused = campaign_refusal(name)
			if refused:  # not listed: the runner stops dialing it, its calls in progress finish
				log.warning("campaign %s is not dialed: %s", name, refused.reason)
				continue
			try:
				plan = service.campaign_plan(name)
				wrapup = (
					frappe.db.get_value("CC Call Queue", plan.call_queue, "wrapup_time")
					if plan.call_queue
					else 0
				)
				configs.append(
					CampaignConfig(
						name=plan.name,
						mode=plan.dialer_mode,
						queue=plan.call_queue,
						caller_id=plan.caller_id,
						amd=plan.amd,
						target=plan.abandon_target,
						ring_timeout_s=self.ring_timeout_s,
						queue_wrapup_s=float(cint(wrapup)),
					)
				)
			except (frappe.ValidationError, ValueError) as e:
				log.error("campaign %s is not dialed: %s", name, frappe.utils.strip_html(str(e)))
		return configs

	def claim(self, campaign: str, action_ids: list[str]) -> list[Claim]:
		from callcenter_app.credit.charging.service import campaign_refusal

		refused = campaign_refusal(campaign)  # the credit ran out since the campaigns were read
		if refused:
			log.warning("campaign %s: no call placed: %s", campaign, refused.reason)
			return []
		try:
			names = service.next_contacts(campaign, len(action_ids))
			phones = dict(
				frappe.get_all(
					service.CONTACT,
					filters={"name": ["in", names or [""]]},
					fields=["name", "phone"],
					as_list=True,
				)
			)
			claims = [
				Claim(name, phones[name], service.create_attempt(name, None, action_id=action_id), action_id)
				for name, action_id in zip(names, action_ids, strict=False)
			]
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			raise
		return claims

	def window(self, campaign: str, since: float) -> list[tuple[float, bool]]:
		"""Live answered attempts since ``since``: reached an operator or abandoned (machines excluded)."""
		rows = frappe.get_all(
			service.ATTEMPT,
			filters={"campaign": campaign, "answered_at": [">=", from_utc(_utc(since))]},
			fields=["answered_at", "abandoned", "amd_status", "result"],
		)
		return [
			(to_utc(r.answered_at).timestamp(), bool(r.abandoned))
			for r in rows
			if r.amd_status != "MACHINE" and r.result != "answering_machine"
		]

	def write(self, records: list[dict]) -> list[str]:
		"""Each record in its own transaction. A record that fails for another reason than a refusal stays in
		the spool (retried later) without holding up the others: outcomes of different attempts are
		independent."""
		done = []
		failed: list[tuple[str, Exception]] = []
		for record in records:
			try:
				if record["kind"] == "outcome":
					self._outcome(record)
				elif record["kind"] == "connected":
					self._connected(record)
				else:
					self._release(record)
				frappe.db.commit()
			except REFUSED as e:
				frappe.db.rollback()
				log.error(
					"dialer %s for attempt %s refused, dropped: %s",
					record["kind"],
					record.get("attempt"),
					frappe.utils.strip_html(str(e)),
				)
			except Exception as e:
				frappe.db.rollback()
				failed.append((record.get("attempt"), e))
				continue
			done.append(record["key"])
		if failed:
			attempt, error = failed[0]
			log.warning("dialer records: %d not written, first attempt %s: %s", len(failed), attempt, error)
		return done

	def _outcome(self, r: dict) -> None:
		values = {
			"answered_at": _utc(r.get("answered_at")),
			"ended_at": _utc(r.get("ended_at")),
			"abandoned": int(bool(r.get("abandoned"))),
			"amd_status": r.get("amd_status") or None,
			"linkedid": r.get("linkedid") or None,
		}
		if r.get("linkedid") and frappe.db.exists("CC Call Log", r["linkedid"]):
			values["call_log"] = r["linkedid"]
		service.update_attempt(r["attempt"], **{k: v for k, v in values.items() if v is not None})
		self._put_through(r)
		if r.get("code"):
			service.record_outcome(r["contact"], r["code"], attempt=r["attempt"], note=r.get("note") or "")

	def _connected(self, r: dict) -> None:
		"""The call reached an operator: the attempt gets its answer time and channel, the operator's console
		the contact, now rather than when the call ends."""
		values = {"answered_at": _utc(r.get("answered_at")), "linkedid": r.get("linkedid") or None}
		service.update_attempt(r["attempt"], **{k: v for k, v in values.items() if v is not None})
		self._put_through(r)

	def _put_through(self, r: dict) -> None:
		"""Record the operator on the attempt and open the contact on their console, once per attempt."""
		user = operator_of(r.get("interface"))
		if not user or frappe.db.get_value(service.ATTEMPT, r["attempt"], "operator"):
			return
		frappe.db.set_value(service.ATTEMPT, r["attempt"], "operator", user, update_modified=False)
		# names only: the console re-reads them with the operator's permissions
		frappe.publish_realtime(
			"callcenter:campaign_call",
			{
				"campaign": frappe.db.get_value(service.ATTEMPT, r["attempt"], "campaign"),
				"contact": r["contact"],
				"attempt": r["attempt"],
			},
			user=user,
			after_commit=True,
		)

	def _release(self, r: dict) -> None:
		"""A claimed contact that was never dialed goes back to the list; its attempt never happened."""
		service.release_contacts([r["contact"]])
		attempt = frappe.db.get_value(service.ATTEMPT, r["attempt"], ["outcome", "answered_at"], as_dict=True)
		if attempt and not attempt.outcome and not attempt.answered_at:
			frappe.delete_doc(service.ATTEMPT, r["attempt"], ignore_permissions=True, force=True)


def operator_of(interface: str | None) -> str | None:
	"""The user whose SIP account is the queue member ``PJSIP/<account>``."""
	if not interface or not interface.startswith("PJSIP/"):
		return None
	return frappe.db.get_value("CC SIP Account", interface[len("PJSIP/") :], "user") or None


class SiteStore:
	"""A :class:`FrappeStore` whose every method connects to ``site`` in the calling (worker) thread."""

	def __init__(
		self, site: str, sites_path: str | None = None, ring_timeout_s: int = DEFAULT_RING_TIMEOUT_S
	):
		wrap = on_site(site, sites_path)
		store = FrappeStore(ring_timeout_s)
		self.campaigns = wrap(store.campaigns)
		self.claim = wrap(store.claim)
		self.window = wrap(store.window)
		self.write = wrap(store.write)
