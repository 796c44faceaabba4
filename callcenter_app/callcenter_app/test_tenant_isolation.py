"""Two call centers on one bench and one PBX (issue 19): tenant-a.localhost (prefix ta) and
tenant-b.localhost (prefix tb), both with callcenter_app. Run on either; the other site is worked on from a
thread with its own site connection (frappe.local is per thread), the way the bridge's workers connect.

Both sites get the same SIP usernames and the same queue names. One interleaved AMI stream of both
tenants' calls goes through each site's bridge path (client scope → tracker → ``write_call_logs``, the
thin service the bridge calls), and each site's CC Call Logs are exactly its own calls; a whitelisted
method and the SIP account of the same username on one site see only that site's rows."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import threading
import unittest
from pathlib import Path

import frappe
from frappe.tests.utils import FrappeTestCase

from callcenter_app.telephony.ami.calls import CallTracker
from callcenter_app.telephony.ami.service import on_site
from callcenter_app.telephony.tenant import EventScope, Tenant
from callcenter_app.test_utils import APP_ROOT, make_sip_account

SITES = {"tenant-a.localhost": "ta", "tenant-b.localhost": "tb"}
USERS = ("ann", "bob")


def _streams():
	sys.path.insert(0, str(APP_ROOT / "tests"))  # tenant_streams imports ami_peer
	try:
		spec = importlib.util.spec_from_file_location(
			"cc_tenant_streams", APP_ROOT / "tests" / "tenant_streams.py"
		)
		module = importlib.util.module_from_spec(spec)
		spec.loader.exec_module(module)
		return module
	finally:
		sys.path.remove(str(APP_ROOT / "tests"))


def on_other_site(func, *args):
	"""``func(*args)`` on the other site, in a thread of its own; its result (or its exception)."""
	other = next(s for s in SITES if s != frappe.local.site)
	out, sites_path = {}, frappe.local.sites_path  # frappe.local is this thread's

	def run():
		try:
			out["value"] = on_site(other, sites_path)(func)(*args)
		except BaseException as e:
			out["error"] = e

	thread = threading.Thread(target=run)
	thread.start()
	thread.join(120)
	if "error" in out:
		raise out["error"]
	return out["value"]


def prepare_site(prefix: str) -> dict:
	"""CC Settings' prefix, and the same SIP accounts and queue names as the other site."""
	settings = frappe.get_single("CC Settings")
	settings.tenant_prefix = prefix
	settings.pbx_enabled = 0  # the bridge path below enables it for itself
	settings.agi_port = 4573 if prefix == "ta" else 4574
	settings.save(ignore_permissions=True)
	for user in USERS:
		if not frappe.db.exists("CC SIP Account", user):
			make_sip_account(user)
	for queue in ("support", "sales", "noans"):
		if not frappe.db.exists("CC Call Queue", queue):
			frappe.get_doc(
				{"doctype": "CC Call Queue", "queue_name": queue, "max_wait": 300, "members": [
					{"sip_account": "ann", "level": 1, "position": 1}]}
			).insert(ignore_permissions=True)  # fmt: skip
	frappe.db.commit()
	return {"site": frappe.local.site, "prefix": frappe.db.get_single_value("CC Settings", "tenant_prefix")}


def bridge_path(stream: list[dict], ids: list[str]) -> dict:
	"""The site's bridge on the shared stream: its AMI client's scope (the prefix from CC Settings, as
	``ami_config`` reads it), the tracker, then ``write_call_logs``; what the site's tables hold after."""
	from callcenter_app.telephony.ami.service import ami_config
	from callcenter_app.telephony.call_logs.service import write_call_logs

	frappe.db.set_single_value("CC Settings", "pbx_enabled", 1)
	config = ami_config()
	scope, tracker = EventScope(Tenant(config.tenant)), CallTracker()
	records = []
	for event in stream:
		for own in scope.feed(event):
			records += tracker.feed(own)
	records += tracker.finish_all()
	result = write_call_logs([r.as_dict() for r in records])
	frappe.db.set_single_value("CC Settings", "pbx_enabled", 0)
	frappe.db.commit()
	rows = frappe.get_all(
		"CC Call Log", filters={"name": ["in", ids]}, fields=["name", "queue", "agent_interface"]
	)
	return {
		"tenant": config.tenant,
		"written": sorted(r.linkedid for r in records),
		"rows": rows,
		"poison": dict(
			result.poison
		),  # refused for their data (the recording's CC_TICKET 1042 is no ticket here)
	}


def reads(ids: list[str]) -> dict:
	"""What the site's own reader returns for the shared call ids (the list API, as Administrator), and
	its own SIP account "ann" (both sites have one)."""
	frappe.set_user("Administrator")
	listed = frappe.call(
		"frappe.client.get_list",
		doctype="CC Call Log",
		filters={"name": ["in", ids]},
		fields=["name"],
		limit_page_length=0,
	)
	account = frappe.get_doc("CC SIP Account", "ann")
	return {
		"listed": sorted(r["name"] for r in listed),
		"ann_secret": account.get_password("secret"),
		"site": frappe.local.site,
	}


class TestTenantIsolation(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if frappe.local.site not in SITES:
			raise unittest.SkipTest("needs the two sites tenant-a.localhost and tenant-b.localhost")
		cls.prefix = SITES[frappe.local.site]
		cls.other_prefix = next(p for s, p in SITES.items() if s != frappe.local.site)
		cls.mine = prepare_site(cls.prefix)
		cls.theirs = on_other_site(prepare_site, cls.other_prefix)
		a, b, cls.shared = _streams().two_tenants()
		# the recordings' calls are tenant "ta"'s, their clones "tb"'s
		cls.ids = {
			"ta": sorted({e["Linkedid"] for e in a if e.get("Linkedid")}),
			"tb": sorted({e["Linkedid"] for e in b if e.get("Linkedid")}),
		}
		cls.all_ids = cls.ids["ta"] + cls.ids["tb"]
		frappe.db.delete("CC Call Log", {"name": ["in", cls.all_ids]})
		frappe.db.commit()
		on_other_site(
			lambda ids: (frappe.db.delete("CC Call Log", {"name": ["in", ids]}), frappe.db.commit()),
			cls.all_ids,
		)

	def test_a_prefix_is_validated_naming_the_field(self):
		settings = frappe.get_single("CC Settings")
		settings.tenant_prefix = "TA-1"
		with self.assertRaises(frappe.ValidationError) as e:
			settings.save(ignore_permissions=True)
		self.assertIn("Tenant Prefix", str(e.exception))
		frappe.db.rollback()

	def test_each_site_writes_only_its_own_calls_from_one_pbx_stream(self):
		self.assertEqual((self.mine["prefix"], self.theirs["prefix"]), (self.prefix, self.other_prefix))
		mine = bridge_path(self.shared, self.all_ids)
		theirs = on_other_site(bridge_path, self.shared, self.all_ids)
		self.assertEqual(mine["tenant"], self.prefix)
		own, other = self.ids[self.prefix], self.ids[self.other_prefix]
		self.assertTrue(own and other)
		# every call of its own (one per Linkedid whose channels all carry the prefix), none of the other's
		self.assertEqual(
			sorted([r["name"] for r in mine["rows"]] + list(mine["poison"])), sorted(mine["written"])
		)
		self.assertLessEqual(len(mine["poison"]), 1, mine["poison"])
		self.assertTrue(set(mine["written"]) <= set(own) and not set(mine["written"]) & set(other))
		self.assertTrue(set(theirs["written"]) <= set(other) and not set(theirs["written"]) & set(own))
		self.assertEqual(len(mine["written"]), len(theirs["written"]))  # B's calls are clones of A's
		# names as the desk knows them: no prefix in what was written
		for row in mine["rows"] + theirs["rows"]:
			self.assertFalse(str(row["queue"]).startswith(("ta-", "tb-")), row)
			self.assertNotIn("@ta-", str(row["agent_interface"]))
			self.assertNotIn("@tb-", str(row["agent_interface"]))
		# the other site's readers never see this site's calls, and the reverse
		mine_reads, their_reads = reads(self.all_ids), on_other_site(reads, self.all_ids)
		self.assertEqual(mine_reads["listed"], sorted(r["name"] for r in mine["rows"]))
		self.assertEqual(their_reads["listed"], sorted(r["name"] for r in theirs["rows"]))
		self.assertTrue(mine_reads["listed"] and their_reads["listed"])
		self.assertFalse(set(mine_reads["listed"]) & set(their_reads["listed"]))
		self.assertNotEqual(mine_reads["site"], their_reads["site"])

	def test_the_same_sip_username_is_two_accounts_on_two_endpoints(self):
		from callcenter_app.telephony.asterisk_config.render import render_all, write_files
		from callcenter_app.telephony.asterisk_config.service import asterisk_inputs, tenant_prefix

		def render(out_dir):
			rendered = render_all(*asterisk_inputs(), tenant=tenant_prefix())
			write_files(rendered, out_dir)
			return sorted(rendered.files)

		with tempfile.TemporaryDirectory() as folder:
			mine = render(folder)
			theirs = on_other_site(render, folder)
			files = sorted(p.name for p in Path(folder).iterdir())
			self.assertEqual(len(files), len(set(mine) | set(theirs)))
			self.assertEqual(set(mine) & set(theirs), {"features.conf"})
			for prefix in ("ta", "tb"):
				other = "tb" if prefix == "ta" else "ta"
				for kind in ("pjsip", "queues", "extensions"):
					text = (Path(folder) / f"{kind}_{prefix}.conf").read_text()
					self.assertNotIn(f"{other}-", text)
				pjsip = (Path(folder) / f"pjsip_{prefix}.conf").read_text()
				self.assertIn(f"[{prefix}-ann]\ntype=endpoint\ncontext={prefix}-cc-agents", pjsip)
		# each site's "ann" is its own record: the other site's secret change is not seen here
		secret = frappe.get_doc("CC SIP Account", "ann").get_password("secret")

		def change_secret():
			doc = frappe.get_doc("CC SIP Account", "ann")
			doc.secret = "other-site-secret-987"
			doc.save(ignore_permissions=True)
			frappe.db.commit()
			return doc.get_password("secret")

		self.assertEqual(on_other_site(change_secret), "other-site-secret-987")
		self.assertEqual(frappe.get_doc("CC SIP Account", "ann").get_password("secret"), secret)
