"""Ground truth for the recordings record.py makes, from Asterisk's own output only (not from the tracker).

Usage: ``python truth.py DIR name [name ...]`` writes ``DIR/<name>.truth.json``. Per call (Linkedid):

- ``legs``: from the queue_log (callid = the caller channel's Uniqueid): ENTERQUEUE opens a leg; CONNECT
  gives its wait (holdtime), ring time and agent; COMPLETECALLER/COMPLETEAGENT/…TRANSFER its talk time;
  ABANDON / EXITWITHTIMEOUT its wait and outcome (``abandoned`` / ``timeout``).
- ``wait_s``: the legs' waits up to the one that connected; ``answered_by``, ``queue``: that leg's.
- ``agent_talk_s``: the queue_log talk time, except when the driver redirected the caller (a desk blind
  transfer): then the seconds the caller and the agent shared their bridge (BridgeEnter → BridgeLeave).
- ``transfers``: AttendedTransfer / BlindTransfer events, and the driver's Redirect actions (by: the
  caller's BRIDGEPEER when it was redirected, to: the Redirect's Exten).
- ``billable_s``: whole seconds from the caller channel's Newstate Up to its Hangup (CDR billsec); the
  caller channel is the one that joined a queue, else the first channel of the call.
- ``voicemail``: the box of an AGI ``EXEC VoiceMail`` (AGIExecStart), with VMSTATUS.
- ``vars``: the CC_* variables set on the call's channels (VarSet), inheritance prefixes removed.
- ``status``: answered (a CONNECT, or an outbound call whose Dial was answered), voicemail (VMSTATUS
  SUCCESS), abandoned (the last leg's ABANDON), failed (outbound, never answered), else missed.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

from callcenter_app.telephony.ami.protocol import FrameParser


def events_of(path: Path) -> list[dict]:
	return [m for m in FrameParser().feed(path.read_bytes()) if "Event" in m]


def truth(directory: Path, name: str) -> dict:
	meta = json.loads((directory / f"{name}.meta.json").read_text())
	sessions = sorted(directory.glob(f"{name}.ami")) + sorted(directory.glob(f"{name}-*.ami"))
	events = [e for s in sessions for e in events_of(s)]
	sent = []
	for s in sessions:
		path = s.with_suffix(".sent.jsonl")
		lines = path.read_text().splitlines() if path.exists() else []
		sent += [{**json.loads(line)["action"], "_t": json.loads(line)["t"]} for line in lines]
	linked, names = {}, {}
	for e in events:
		if e.get("Uniqueid") and e.get("Linkedid"):
			linked[e["Uniqueid"]] = e["Linkedid"]
			names[e["Uniqueid"]] = e.get("Channel", "")
	calls: dict[str, dict] = {}
	for e in events:
		if e.get("Event") == "Newchannel" or (e.get("Event") == "CoreShowChannel" and e.get("Linkedid")):
			calls.setdefault(e["Linkedid"], {"channels": []})["channels"].append(e["Uniqueid"])
	out = {}
	for linkedid, info in calls.items():
		uids = info["channels"]
		joined = [e for e in events if e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") in uids]
		caller_uid = joined[0]["Uniqueid"] if joined else uids[0]
		numbers = [
			e.get("CallerIDNum")
			for e in events
			if e.get("Uniqueid") == caller_uid and e.get("CallerIDNum") not in (None, "", "<unknown>")
		]
		legs = []
		for line in meta.get("queue_log_lines", []):
			_when, callid, queue, agent, event, *data = line.split("|")
			if linked.get(callid, callid) != linkedid and callid not in uids:
				continue
			if event == "ENTERQUEUE":
				legs.append({"queue": queue, "wait_s": None, "outcome": "left", "agent": "", "talk_s": None})
			elif not legs:
				continue
			elif event == "CONNECT":
				legs[-1].update(outcome="connected", wait_s=int(data[0]), agent=agent, ring_s=int(data[2]))
			elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
				legs[-1]["talk_s"] = int(data[1])
			elif event in ("BLINDTRANSFER", "ATTENDEDTRANSFER"):
				legs[-1]["talk_s"] = int(data[-2])
			elif event in ("ABANDON", "EXITWITHTIMEOUT"):
				legs[-1].update(outcome="abandoned" if event == "ABANDON" else "timeout", wait_s=int(data[2]))
		answering = next((i for i, leg in enumerate(legs) if leg["outcome"] == "connected"), None)
		counted = legs[: answering + 1] if answering is not None else legs
		transfers = []
		for e in events:
			if e.get("Event") == "AttendedTransfer" and e.get("TransfereeLinkedid") == linkedid:
				transfers.append(
					{
						"kind": "attended",
						"by": e["OrigTransfererChannel"],
						"to": e["TransferTargetExten"],
						"result": e["Result"],
					}
				)
		redirected_at = None
		for action in sent:
			if action.get("Action") == "Redirect" and action.get("Channel") == names.get(caller_uid):
				peers = [
					e
					for e in events
					if e.get("Event") == "VarSet"
					and e.get("Uniqueid") == caller_uid
					and e.get("Variable") == "BRIDGEPEER"
					and e.get("Value")
					and float(e["Timestamp"]) < action["_t"]
				]
				transfers.append(
					{"kind": "blind", "by": peers[-1]["Value"], "to": action["Exten"], "result": "Success"}
				)
				redirected_at = True
		agent_talk = legs[answering]["talk_s"] if answering is not None else None
		if redirected_at and answering is not None:
			enters = [e for e in events if e.get("Event") == "BridgeEnter"]
			first = next(e for e in enters if e["Uniqueid"] == caller_uid)
			bridge = first["BridgeUniqueid"]
			agent_in = next(
				e for e in enters if e["BridgeUniqueid"] == bridge and e["Uniqueid"] != caller_uid
			)
			leave = next(
				e for e in events if e.get("Event") == "BridgeLeave" and e.get("BridgeUniqueid") == bridge
			)
			shared = float(leave["Timestamp"]) - max(float(first["Timestamp"]), float(agent_in["Timestamp"]))
			agent_talk = {"bridge_s": round(shared, 6), "queue_log_talk_s": legs[answering]["talk_s"]}
		up = [
			float(e["Timestamp"])
			for e in events
			if e.get("Event") == "Newstate"
			and e.get("Uniqueid") == caller_uid
			and e.get("ChannelState") == "6"
		]
		down = [
			float(e["Timestamp"])
			for e in events
			if e.get("Event") == "Hangup" and e.get("Uniqueid") == caller_uid
		]
		billable = math.floor(down[0] - up[0]) if up and down else (0 if down else None)
		variables = {}
		for e in events:
			if e.get("Event") == "VarSet" and e.get("Uniqueid") in uids and e.get("Value"):
				bare = e["Variable"].lstrip("_")
				if bare.startswith("CC_") or bare in ("VMSTATUS", "QUEUESTATUS"):
					variables.setdefault(bare, e["Value"])
		voicemail = None
		for e in events:
			if e.get("Event") == "AGIExecStart" and e.get("Uniqueid") in uids:
				parts = e["Command"].split(None, 2)
				if parts[:2] == ["EXEC", "VoiceMail"]:
					voicemail = parts[2].strip('"').split(",")[0]
		outbound = variables.get("CC_DIRECTION") == "outbound" or "CC_CAMPAIGN" in variables
		dialled = any(
			e.get("Event") == "DialEnd" and e.get("Uniqueid") in uids and e.get("DialStatus") == "ANSWER"
			for e in events
		)
		if answering is not None:
			status = "answered"
		elif voicemail and variables.get("VMSTATUS") == "SUCCESS":
			status = "voicemail"
		elif legs and legs[-1]["outcome"] == "abandoned":
			status = "abandoned"
		elif outbound:
			status = "answered" if dialled else "failed"
		else:
			status = "missed"
		out[linkedid] = {
			"caller_uniqueid": caller_uid,
			"caller": numbers[0] if numbers else "",
			"direction": "outbound" if outbound else "inbound",
			"status": status,
			"legs": legs,
			"queue": (legs[answering] if answering is not None else legs[-1])["queue"] if legs else "",
			"answered_by": legs[answering]["agent"] if answering is not None else "",
			"wait_s": sum(leg["wait_s"] for leg in counted if leg["wait_s"] is not None) if counted else None,
			"agent_talk": agent_talk,
			"transfers": transfers,
			"billable_s": billable,
			"voicemail": voicemail,
			"vars": variables,
		}
	return {
		"scenario": name,
		"derived_from": "Asterisk's AMI events, queue_log lines and the driver's actions (see truth.py)",
		"calls": out,
	}


def main() -> None:
	directory = Path(sys.argv[1])
	for name in sys.argv[2:]:
		data = truth(directory, name)
		(directory / f"{name}.truth.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
	main()
