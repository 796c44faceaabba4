"""The dialer process on the bench: a real progressive campaign, the real dialer/service.py functions in the
process's worker thread (its own site connection), and the pure suite's AMI peer playing Asterisk.

The process reads committed records from another connection, so this test commits its records and deletes
them afterwards."""

import asyncio
import datetime as dt
import os
import tempfile

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, get_datetime, now_datetime

from callcenter_app.dialer.process.loop import DialerProcess
from callcenter_app.dialer.process.service import FrappeStore, SiteStore
from callcenter_app.telephony.ami.client import AmiConfig
from callcenter_app.telephony.ami.spool import Spool
from callcenter_app.test_utils import (
	delete_campaign,
	load_ami_peer,
	make_call_queue,
	make_campaign,
	make_campaign_contact,
	make_operator,
	make_sip_account,
)

CAMPAIGN = "CC Test Dialer Process"
QUEUE = "cc-t-dialer-process"
SIP = "cc-t-dialer-op"
OPERATOR = "cc-dialer-process-op@example.com"
BUSY, ANSWERED, ABANDONED = "+37060000101", "+37060000102", "+37060000103"


def script(action: dict) -> list[tuple[float, dict]]:
	"""Asterisk's events for each number: busy, answered by the operator, abandoned (nobody free in 2 s)."""
	number = action["Channel"][len("PJSIP/") :].split("@")[0]
	aid = action["ActionID"]
	uid = f"1795340000.{number[-3:]}"
	chan = {"Channel": f"PJSIP/trunk-{number[-3:]}", "Uniqueid": uid, "Linkedid": uid}
	interface = f"PJSIP/{SIP}"

	def response(reason):
		ok = reason == 4
		return {
			"Event": "OriginateResponse",
			"ActionID": aid,
			"Response": "Success" if ok else "Failure",
			"Channel": action["Channel"],
			"Reason": str(reason),
			"Uniqueid": uid if ok else "<null>",
		}

	def member(in_call):
		return {
			"Event": "QueueMemberStatus",
			"Queue": QUEUE,
			"Interface": interface,
			"Status": "2" if in_call else "1",
			"InCall": "1" if in_call else "0",
			"Paused": "0",
		}

	join = {"Event": "QueueCallerJoin", **chan, "Queue": QUEUE}
	if number == BUSY:
		return [(0.05, response(5))]
	if number == ANSWERED:
		return [
			(0.1, response(4)),
			(0.02, join),
			(0.05, {"Event": "AgentConnect", **chan, "Queue": QUEUE, "Interface": interface}),
			(0, member(True)),
			(0.3, {"Event": "Hangup", **chan, "Cause": "16"}),
			(0, member(False)),
		]
	return [
		(0.1, response(4)),
		(0.02, join),
		(0.1, {"Event": "QueueCallerAbandon", **chan, "Queue": QUEUE, "HoldTime": "2"}),
		(0, {"Event": "UserEvent", **chan, "UserEvent": "CCDialer", "Result": "abandoned"}),
		(0.05, {"Event": "Hangup", **chan, "Cause": "16"}),
	]


class TestDialerProcess(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.addCleanup(self.cleanup)
		self.cleanup()
		make_operator(OPERATOR)
		make_sip_account(SIP, OPERATOR)
		make_call_queue(QUEUE, [])
		frappe.db.set_value("CC Call Queue", QUEUE, "wrapup_time", 0)
		self.campaign = make_campaign(
			CAMPAIGN,
			operators=(OPERATOR,),
			dialer_mode="Progressive",
			call_queue=QUEUE,
			caller_id="+37052000000",
			outcome_rules=[{"outcome": "Busy", "retry_after_minutes": 7}],
		)
		self.contacts = {
			phone: make_campaign_contact(self.campaign, phone, priority=p)
			for p, phone in ((3, BUSY), (2, ANSWERED), (1, ABANDONED))
		}
		frappe.db.commit()

	def cleanup(self):
		frappe.db.rollback()
		if frappe.db.exists("CC Campaign", CAMPAIGN):
			delete_campaign(CAMPAIGN)
		for doctype, name in (("CC Call Queue", QUEUE), ("CC SIP Account", SIP)):
			if frappe.db.exists(doctype, name):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.db.commit()

	def run_dialer(self):
		peer = load_ami_peer().AmiPeer([])
		peer.members = [
			{"Event": "QueueMember", "Queue": QUEUE, "Location": f"PJSIP/{SIP}", "Status": "1", "Paused": "0"}
		]
		peer.on_originate = script
		store = SiteStore(frappe.local.site, os.path.abspath(frappe.local.sites_path))
		spool_dir = tempfile.mkdtemp(prefix="cc-dialer-test-")

		async def main():
			port = await peer.start()
			process = DialerProcess(
				AmiConfig("127.0.0.1", port, peer.username, peer.secret, timeout=5),
				store,
				Spool(spool_dir, key="key"),
				tick_s=0.1,
				reload_s=1.0,
				retry_start=0.1,
				linger_s=2.0,
			)
			task = asyncio.create_task(process.run())
			loop = asyncio.get_running_loop()
			deadline = loop.time() + 30
			while loop.time() < deadline and not task.done():
				# three outcomes and the answered call's connecting, all written
				if process.written >= 4 and not len(process.spool):
					break
				await asyncio.sleep(0.1)
			process.stop()
			await asyncio.wait_for(task, 20)
			await peer.close()
			return process, peer

		return asyncio.run(main())

	def test_the_process_dials_a_progressive_campaign_and_records_attempts_and_outcomes(self):
		started = now_datetime()
		process, peer = self.run_dialer()
		frappe.db.rollback()  # a fresh snapshot: the worker thread committed since

		self.assertEqual(process.originated, 3)
		originates = [a for a in peer.received if a.get("Action") == "Originate"]
		# one operator: progressive never has two calls out at once, so the numbers go in priority order
		self.assertEqual(
			[a["Channel"] for a in originates], [f"PJSIP/{n}@trunk" for n in (BUSY, ANSWERED, ABANDONED)]
		)
		attempts = {
			a.phone: a
			for a in frappe.get_all(
				"CC Call Attempt",
				filters={"campaign": self.campaign},
				fields=[
					"name",
					"phone",
					"result",
					"outcome",
					"answered_at",
					"ended_at",
					"abandoned",
					"operator",
					"action_id",
					"linkedid",
				],
			)
		}
		self.assertEqual(set(attempts), {BUSY, ANSWERED, ABANDONED})
		self.assertEqual({a.action_id for a in attempts.values()}, {a["ActionID"] for a in originates})

		busy = frappe.get_doc("CC Campaign Contact", self.contacts[BUSY])
		self.assertEqual((busy.status, busy.attempts, busy.last_outcome), ("Retry", 1, "Busy"))
		expected = add_to_date(started, minutes=7)  # the campaign's own delay for Busy
		self.assertLess(abs((get_datetime(busy.next_attempt_at) - expected).total_seconds()), 60)
		self.assertEqual((attempts[BUSY].result, attempts[BUSY].answered_at), ("busy", None))

		answered = attempts[ANSWERED]
		self.assertTrue(answered.answered_at and answered.ended_at and answered.linkedid)
		self.assertEqual((answered.outcome, answered.abandoned, answered.operator), (None, 0, OPERATOR))
		# the operator records its outcome; until then the contact stays claimed
		self.assertEqual(
			frappe.db.get_value("CC Campaign Contact", self.contacts[ANSWERED], "status"), "Dialing"
		)

		abandoned = attempts[ABANDONED]
		self.assertEqual((abandoned.result, abandoned.abandoned), ("abandoned", 1))
		contact = frappe.get_doc("CC Campaign Contact", self.contacts[ABANDONED])
		self.assertEqual((contact.status, contact.last_outcome), ("Retry", "Abandoned"))
		self.assertGreater(get_datetime(contact.next_attempt_at), add_to_date(started, hours=71))

		# answered + abandoned counted, in the process and in what a restart reads back
		runner = process.dialer.runners[self.campaign]
		self.assertEqual((runner.window_answered, runner.window_abandoned), (2, 1))
		since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).timestamp()
		window = FrappeStore().window(self.campaign, since)
		self.assertEqual(sorted(abandoned for _, abandoned in window), [False, True])

	def test_the_store_lists_only_active_automatic_campaigns(self):
		store = FrappeStore(ring_timeout_s=30)
		(config,) = [c for c in store.campaigns() if c.name == self.campaign]
		self.assertEqual(
			(config.mode, config.queue, config.caller_id, config.target, config.ring_timeout_s),
			("Progressive", QUEUE, "+37052000000", 0.03, 30),
		)
		frappe.db.set_value("CC Campaign", self.campaign, "dialer_mode", "Preview")
		self.assertNotIn(self.campaign, [c.name for c in store.campaigns()])
		frappe.db.set_value("CC Campaign", self.campaign, {"dialer_mode": "Predictive", "status": "Paused"})
		self.assertNotIn(self.campaign, [c.name for c in store.campaigns()])

	def test_the_operator_gets_the_contact_when_the_call_connects_not_when_it_ends(self):
		from unittest.mock import patch

		from callcenter_app.dialer.process.loop import outcome_record
		from callcenter_app.dialer.runner import Connected, Outcome

		store = FrappeStore()
		(claim,) = store.claim(self.campaign, ["ccd-connect-1"])
		t0 = now_datetime().timestamp()
		interface = f"PJSIP/{SIP}"
		connected = Connected(
			claim.attempt, claim.contact, self.campaign, interface, "1795.42", t0 + 8, t0 + 9
		)
		ended = Outcome(
			claim.attempt,
			claim.contact,
			self.campaign,
			None,
			t0,
			t0 + 70,
			t0 + 8,
			t0 + 9,
			interface=interface,
			linkedid="1795.42",
		)
		with patch("frappe.publish_realtime") as publish:
			record = outcome_record(connected)
			self.assertEqual(store.write([record]), [f"connected:{claim.attempt}"])
			attempt = frappe.db.get_value(
				"CC Call Attempt",
				claim.attempt,
				["operator", "linkedid", "answered_at", "ended_at"],
				as_dict=True,
			)
			self.assertEqual(
				(attempt.operator, attempt.linkedid, attempt.ended_at), (OPERATOR, "1795.42", None)
			)
			self.assertTrue(attempt.answered_at)

			def told():
				return [c for c in publish.call_args_list if c.args[0] == "callcenter:campaign_call"]

			((_event, payload), kwargs) = told()[0]
			self.assertEqual(
				payload, {"campaign": self.campaign, "contact": claim.contact, "attempt": claim.attempt}
			)
			self.assertEqual((kwargs["user"], kwargs["after_commit"]), (OPERATOR, True))
			# the same record again, then the call's end: written, and the console is not told twice
			self.assertEqual(
				store.write([record, outcome_record(ended)]), [record["key"], f"outcome:{claim.attempt}"]
			)
			self.assertEqual(len(told()), 1)
		self.assertTrue(frappe.db.get_value("CC Call Attempt", claim.attempt, "ended_at"))

	def test_a_claim_writes_attempts_and_a_release_undoes_it(self):
		store = FrappeStore()
		claims = store.claim(self.campaign, ["ccd-test-1", "ccd-test-2"])
		self.assertEqual([c.phone for c in claims], [BUSY, ANSWERED])
		self.assertEqual(frappe.db.get_value("CC Call Attempt", claims[0].attempt, "action_id"), "ccd-test-1")
		self.assertEqual(frappe.db.get_value("CC Campaign Contact", claims[0].contact, "status"), "Dialing")
		records = [
			{"key": f"release:{c.attempt}", "kind": "release", "contact": c.contact, "attempt": c.attempt}
			for c in claims
		]
		self.assertEqual(store.write(records), [r["key"] for r in records])
		self.assertEqual(frappe.db.get_value("CC Campaign Contact", claims[0].contact, "status"), "New")
		self.assertFalse(frappe.db.exists("CC Call Attempt", claims[0].attempt))
		# an outcome for a contact that no longer exists is refused for good: logged and dropped
		bad = {
			"key": "outcome:x",
			"kind": "outcome",
			"attempt": "no-such-attempt",
			"contact": "x",
			"code": "busy",
		}
		self.assertEqual(store.write([bad]), ["outcome:x"])
