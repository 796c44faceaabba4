"""Fuzz the code that reads what a peer or an admin sends: AMI frames and events, the FastAGI dialogue, the
routes JSON, SMS webhook bodies (generic JSON/form and Twilio), call-list rows, bank statements (CSV, CAMT.053). Mutation fuzzing, seeded: inputs are real recordings and files of this repository, mutated
(bytes flipped, inserted, deleted, duplicated, cut; JSON values swapped for other types, keys dropped) and,
for the byte streams, fed in random chunks.

    python benchmarks/fuzz_parsers.py [--seconds 30] [--seed 1] [--target ami-frames,ami-events,agi,...]

A *crash* is any exception a target does not declare for bad input (AMI: none at all; AGI: AGIProtocolError;
routes, SMS bodies and call-list rows: FieldError; statements: StatementError or FieldError). Each target prints its runs, crashes, the slowest input and the peak memory traced
(tracemalloc) while it ran; a crash's input is saved under --crash-dir and turned into a regression test
(tests/test_fuzz_regressions.py). Exit status 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import logging
import random
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from callcenter_app.common import validators
from callcenter_app.common.errors import FieldError
from callcenter_app.credit.gateways import paypal, stripe_checkout
from callcenter_app.credit.statements import CsvMapping, StatementError, parse_camt053, parse_csv
from callcenter_app.dialer.campaigns import call_list_number
from callcenter_app.telephony.agi.protocol import (
	AGIProtocolError,
	check_env,
	parse_env_line,
	parse_response,
)
from callcenter_app.telephony.ami.call_log import call_log_values
from callcenter_app.telephony.ami.calls import CallTracker
from callcenter_app.telephony.ami.protocol import MAX_FRAME, FrameParser
from callcenter_app.telephony.routing import serialize
from callcenter_app.telephony.routing.validate import validate_routeset
from callcenter_app.tickets.sms.adapters import GenericAdapter, TwilioAdapter, WebhookRequest

RECORDINGS = sorted((ROOT / "tests" / "data" / "asterisk").glob("*.ami"))
AGI_SESSION = (ROOT / "tests" / "data" / "asterisk" / "fastagi_session.txt").read_text()
ROUTES = json.loads((ROOT / "tests" / "data" / "routes_example.json").read_text())
CAMT = sorted((ROOT / "tests" / "data" / "credit").glob("camt053_*.xml"))
INTERESTING = [
	b"\r\n",
	b"\n",
	b"\r\n\r\n",
	b": ",
	b":",
	b"Event: ",
	b"Linkedid: ",
	b"Timestamp: 1e308",
	b"Timestamp: nan",
	b"\x00",
	b"\xff\xfe",
	b"Uniqueid: ",
	b"-1",
	b"99999999999999999999",
]


def mutate_bytes(rng: random.Random, data: bytes, rounds: int | None = None) -> bytes:
	buf = bytearray(data)
	for _ in range(rounds or rng.randint(1, 8)):
		if not buf:
			buf += rng.choice(INTERESTING)
			continue
		op = rng.randrange(7)
		i = rng.randrange(len(buf))
		if op == 0:
			buf[i] = rng.randrange(256)
		elif op == 1:
			buf[i:i] = rng.choice(INTERESTING)
		elif op == 2:
			del buf[i : i + rng.randint(1, 64)]
		elif op == 3:
			j = rng.randrange(len(buf))
			buf[i:i] = buf[j : j + rng.randint(1, 512)]
		elif op == 4:
			del buf[i:]
		elif op == 5:
			buf[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
		else:
			buf = buf.replace(b"\r\n", b"\n", rng.randint(1, 50))
	return bytes(buf)


def chunks(rng: random.Random, data: bytes):
	i = 0
	while i < len(data):
		n = rng.choice((1, 7, 64, 1500, 65536))
		yield data[i : i + n]
		i += n


# --- targets: each takes (rng) and returns a short description of the input it tried ---------------------


def target_ami_frames(rng: random.Random) -> bytes:
	data = mutate_bytes(rng, rng.choice(RECORDINGS).read_bytes()[: rng.choice((2048, 65536, 1 << 22))])
	if rng.random() < 0.05:  # a peer that never ends a line or a frame
		data = rng.choice((b"", b"Asterisk Call Manager/11.0.0\r\n")) + b"x" * rng.randint(1, 3 * MAX_FRAME)
	parser = FrameParser()
	largest = 0
	for piece in chunks(rng, data):
		for message in parser.feed(piece):
			assert isinstance(message, dict) and all(
				isinstance(k, str) and isinstance(v, str) for k, v in message.items()
			)
		largest = max(largest, len(parser._buffer))
	assert largest <= MAX_FRAME + 65536, f"the parser held {largest} bytes without a frame end"
	return data


_EVENTS: list[list[dict]] = []


def recorded_events() -> list[list[dict]]:
	if not _EVENTS:
		for path in RECORDINGS:
			parser = FrameParser()
			_EVENTS.append([m for m in parser.feed(path.read_bytes()) if "Event" in m])
	return _EVENTS


VALUES = [
	"",
	" ",
	"-1",
	"0",
	"1e308",
	"nan",
	"inf",
	"x" * 300,
	"Local/;2",
	"1764850000.123456",
	"\u00e9",
	"0:0",
]


def target_ami_events(rng: random.Random) -> list[dict]:
	events = copy.deepcopy(rng.choice(recorded_events()))
	for _ in range(rng.randint(1, 20)):
		if not events:
			break
		op = rng.randrange(5)
		i = rng.randrange(len(events))
		event = events[i]
		if op == 0 and event:
			key = rng.choice(list(event))
			event[key] = rng.choice(VALUES + [v for e in rng.sample(events, 1) for v in e.values()])
		elif op == 1 and event:
			del event[rng.choice(list(event))]
		elif op == 2:
			events.insert(rng.randrange(len(events)), copy.deepcopy(rng.choice(events)))
		elif op == 3:
			del events[i]
		else:
			j = rng.randrange(len(events))
			events[i], events[j] = events[j], events[i]
	tracker = CallTracker(clock=lambda: 1_764_850_000.0)
	records = tracker.feed_all(events) + tracker.flush(tracker.now + 3600)
	for record in records:
		call_log_values(record.as_dict(), "Europe/Vilnius")
	return events


def target_agi(rng: random.Random) -> str:
	lines = AGI_SESSION.splitlines()
	text = mutate_bytes(rng, "\n".join(rng.sample(lines, rng.randint(1, len(lines)))).encode()).decode(
		"utf-8", "replace"
	)
	env = {}
	for line in text.split("\n"):
		for parse in (parse_env_line, parse_response):
			try:
				result = parse(line)
			except AGIProtocolError:
				continue
			if parse is parse_env_line:
				env[result[0]] = result[1]
	try:
		check_env(env)
	except AGIProtocolError:
		pass
	return text


def _mutate_json(rng: random.Random, node, depth=0):
	if isinstance(node, dict) and node:
		key = rng.choice(list(node))
		op = rng.randrange(4)
		if op == 0:
			del node[key]
		elif op == 1 or depth > 6:
			node[key] = copy.deepcopy(rng.choice(JSON_VALUES))
		else:
			node[key] = _mutate_json(rng, node[key], depth + 1)
		return node
	if isinstance(node, list) and node:
		i = rng.randrange(len(node))
		op = rng.randrange(4)
		if op == 0:
			del node[i]
		elif op == 1:
			node.append(copy.deepcopy(rng.choice(node)))
		else:
			node[i] = _mutate_json(rng, node[i], depth + 1)
		return node
	return copy.deepcopy(
		rng.choice(JSON_VALUES)
	)  # never a shared list or dict: a mutation would make a cycle


JSON_VALUES = [
	None,
	True,
	0,
	-1,
	1.5,
	10**30,
	"",
	"x",
	"+370",
	"25:99",
	"Monday",
	[],
	{},
	[1],
	{"a": 1},
	"\u0000",
]


def target_routes_json(rng: random.Random) -> str:
	data = copy.deepcopy(ROUTES)
	for _ in range(rng.randint(1, 6)):
		data = _mutate_json(rng, data)
	text = json.dumps(data)
	if rng.random() < 0.1:
		text = mutate_bytes(rng, text.encode(), 2).decode("utf-8", "replace")
	try:
		validate_routeset(serialize.loads(text))
	except FieldError:
		pass
	return text


# --- SMS webhook bodies: what a gateway (or anyone who found the URL and the token) POSTs ----------------
SMS_GENERIC = {
	"message_id": "SM-1",
	"from": "+37061234567",
	"to": "+37052000000",
	"body": "Labas, kada atvyks meistras?",
	"received_at": "2026-12-04T10:00:00+02:00",
	"status": "delivered",
	"detail": "ok",
}
SMS_TWILIO = {
	"MessageSid": "SM0123456789abcdef0123456789abcdef",
	"AccountSid": "AC0123456789abcdef0123456789abcdef",
	"From": "+37061234567",
	"To": "+37052000000",
	"Body": "Hello",
	"MessageStatus": "delivered",
	"ErrorCode": "",
}


def _sms_request(rng: random.Random, fields: dict) -> WebhookRequest:
	"""The mutated fields as a JSON body (sometimes broken bytes) or as a form with repeated fields."""
	data = _mutate_json(rng, copy.deepcopy(fields)) if rng.random() < 0.9 else rng.choice(JSON_VALUES)
	if rng.random() < 0.5:
		body = json.dumps(data).encode()
		if rng.random() < 0.2:
			body = mutate_bytes(rng, body, 2)
		return WebhookRequest(url="https://cc.example/sms", body=body, content_type="application/json")
	form = {}
	if isinstance(data, dict):
		for key, value in data.items():
			form[str(key)] = [str(v) for v in value] if isinstance(value, list) else str(value)
	return WebhookRequest(
		url="https://cc.example/sms", form=form, content_type="application/x-www-form-urlencoded"
	)


def target_sms(rng: random.Random) -> str:
	adapter, fields = rng.choice(
		((GenericAdapter("t" * 24, "LT"), SMS_GENERIC), (TwilioAdapter("t" * 32, "", "LT"), SMS_TWILIO))
	)
	request = _sms_request(rng, fields)
	for read in (adapter.inbound, adapter.delivery):
		try:
			read(request)
		except FieldError:
			pass
	return repr(request)[:200]


# --- call-list rows: what a Data Import of CC Campaign Contact validates per row -------------------------
CALL_LIST = (
	"phone,full_name,timezone\n+37061234567,Ona,Europe/Vilnius\n861234567,Jonas,\n"
	"(0)6 123 4567,Ieva,Europe/Riga\n+1 (415) 555-0100,Ann,America/New_York\n"
)


def target_call_list(rng: random.Random) -> str:
	text = mutate_bytes(rng, CALL_LIST.encode()).decode("utf-8", "replace")
	for row in csv.reader(io.StringIO(text, newline="")):
		if not row:
			continue
		try:
			call_list_number(row[0], rng.choice(("LT", None, "US")))
		except FieldError:
			pass
		if len(row) > 2 and row[2].strip():
			try:
				validators.timezone("timezone", row[2])
			except FieldError:
				pass
	return text


# --- bank statements: what an accountant uploads --------------------------------------------------------
STATEMENT_CSV = (
	"Date;Amount;Currency;Text;Payer;Id\n"
	"04.12.2026;120,50;EUR;RF18539007547034;UAB Klientas;L1\n"
	"04.12.2026;-10,00;EUR;fee;Bank;L2\n"
	"05.12.2026;1.000,00;EUR;RF71 2348 231;Jonas;L3\n"
)
STATEMENT_MAPPING = CsvMapping(
	columns={
		"date": "Date",
		"amount": "Amount",
		"currency": "Currency",
		"text": "Text",
		"counterparty": "Payer",
		"line_id": "Id",
	},
	delimiter=";",
	decimal=",",
	thousands=".",
	date_format="%d.%m.%Y",
)


def target_statement_csv(rng: random.Random) -> bytes:
	data = mutate_bytes(rng, STATEMENT_CSV.encode())
	try:
		parse_csv(data, STATEMENT_MAPPING)
	except (StatementError, FieldError):
		pass
	return data


def target_statement_camt(rng: random.Random) -> bytes:
	data = mutate_bytes(rng, rng.choice(CAMT).read_bytes())
	try:
		parse_camt053(data)
	except (StatementError, FieldError):
		pass
	return data


# --- payment events: verified (signed) by the gateway, but of any shape a gateway version may send -------
STRIPE_EVENT = {
	"id": "evt_1",
	"type": "checkout.session.completed",
	"data": {
		"object": {
			"id": "cs_test_1",
			"object": "checkout.session",
			"client_reference_id": "TOP-1",
			"metadata": {"top_up": "TOP-1"},
			"payment_intent": "pi_1",
			"payment_status": "paid",
			"amount_total": 700,
			"currency": "eur",
		}
	},
}
PAYPAL_EVENTS = (
	{
		"id": "WH-1",
		"event_type": "CHECKOUT.ORDER.APPROVED",
		"resource": {"id": "ORDER1", "purchase_units": [{"custom_id": "TOP-9", "amount": {}}]},
	},
	{
		"id": "WH-3",
		"event_type": "PAYMENT.CAPTURE.COMPLETED",
		"resource": {
			"id": "C",
			"status": "COMPLETED",
			"custom_id": "TOP-9",
			"amount": {"currency_code": "EUR", "value": "1.00"},
			"supplementary_data": {"related_ids": {"order_id": "ORDER1"}},
		},
	},
)


def _exponent_of(currency):
	return {"EUR": 2, "JPY": 0, "KWD": 3}.get(currency)


def target_payment_events(rng: random.Random) -> str:
	stripe_event = _mutate_json(rng, copy.deepcopy(STRIPE_EVENT))
	paypal_event = _mutate_json(rng, copy.deepcopy(rng.choice(PAYPAL_EVENTS)))
	for _ in range(rng.randint(0, 4)):
		stripe_event = _mutate_json(rng, stripe_event)
		paypal_event = _mutate_json(rng, paypal_event)
	for event, read in (
		(stripe_event, stripe_checkout.payment_from_event),
		(paypal_event, lambda e: paypal.payment_from_event(e, _exponent_of)),
	):
		if isinstance(event, dict):  # the webhook refuses a body that is no JSON object before this
			read(event)
	return json.dumps([stripe_event, paypal_event])[:200]


TARGETS: dict[str, Callable[[random.Random], object]] = {
	"ami-frames": target_ami_frames,
	"ami-events": target_ami_events,
	"agi": target_agi,
	"routes-json": target_routes_json,
	"sms": target_sms,
	"call-list": target_call_list,
	"statement-csv": target_statement_csv,
	"statement-camt": target_statement_camt,
	"payment-events": target_payment_events,
}


def run(name: str, seconds: float, seed: int, crash_dir: Path) -> dict:
	fn = TARGETS[name]
	rng = random.Random(seed)
	tracemalloc.start()
	runs = crashes = 0
	slowest = 0.0
	kinds: dict[str, int] = {}
	end = time.monotonic() + seconds
	while time.monotonic() < end:
		state = rng.getstate()
		start = time.perf_counter()
		try:
			fn(rng)
		except Exception as e:
			crashes += 1
			kind = f"{type(e).__name__}: {str(e)[:80]}"
			kinds[kind] = kinds.get(kind, 0) + 1
			if kinds[kind] == 1:
				crash_dir.mkdir(parents=True, exist_ok=True)
				replay = random.Random()
				replay.setstate(state)
				(crash_dir / f"{name}-{seed}-{runs}.txt").write_text(
					f"seed state of run {runs}\n{traceback.format_exc()}"
				)
		slowest = max(slowest, time.perf_counter() - start)
		runs += 1
	_current, peak = tracemalloc.get_traced_memory()
	tracemalloc.stop()
	return {
		"target": name,
		"runs": runs,
		"crashes": crashes,
		"kinds": kinds,
		"slowest_s": round(slowest, 3),
		"peak_mib": round(peak / 2**20, 1),
	}


def main(argv: list[str] | None = None) -> int:
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--seconds", type=float, default=30.0, help="per target")
	ap.add_argument("--seed", type=int, default=1)
	ap.add_argument("--target", default=",".join(TARGETS))
	ap.add_argument("--crash-dir", default=str(ROOT / ".fuzz-crashes"))
	args = ap.parse_args(argv)
	logging.disable(logging.CRITICAL)  # the parsers log every bad input they skip: millions of lines here
	failed = False
	for name in args.target.split(","):
		if name not in TARGETS:
			ap.error(f"--target: {name!r} is not one of {', '.join(TARGETS)}")
		result = run(name, args.seconds, args.seed, Path(args.crash_dir))
		print(
			f"{result['target']:12} {result['runs']:>8} runs  {result['crashes']} crashes  "
			f"slowest {result['slowest_s']} s  peak {result['peak_mib']} MiB"
		)
		for kind, n in result["kinds"].items():
			print(f"    {n:>6} × {kind}")
		failed |= bool(result["crashes"])
	return 1 if failed else 0


if __name__ == "__main__":
	raise SystemExit(main())
