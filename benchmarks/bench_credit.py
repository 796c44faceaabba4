"""Prepaid credit (issue 16), pure: rating call records, parsing and matching bank statements.

    python benchmarks/bench_credit.py [--calls 1000000] [--lines 100000] [--prefixes 3000] [--seed 16]

Rating: a plan of ``--prefixes`` destination prefixes (1 to 7 digits, every country code plus
national ranges), 30/6 increment, connection fee and minimum charge; ``--calls`` call records with random
E.164 destinations (75% answered, 0-1800 s). Statements: ``--lines`` incoming lines as a German bank's CSV
(``;``, decimal comma, dd.mm.yyyy) and as CAMT.053.001.08 XML, each parsed and matched against as many open
top-up requests as there are lines (70% exact, the rest partial, over, unknown reference, no reference).
Target: rating 1,000,000 calls ≤ 10 s.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from callcenter_app.credit import matching, money, references, statements
from callcenter_app.credit.rating import Call, Charge, make_plan, rate


def make_rating_plan(rng: random.Random, n: int):
	rows, seen = [], set()
	for cc in range(1, 1000):
		if len(rows) >= n // 3:
			break
		rows.append((str(cc), f"0.{rng.randint(1, 9999):04d}"))
		seen.add(str(cc))
	while len(rows) < n:
		p = str(rng.randint(1, 999)) + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 4)))
		if p not in seen:
			seen.add(p)
			rows.append((p, f"0.{rng.randint(1, 99999):05d}"))
	return make_plan("EUR", "30/6", rows, connection_fee="0.01", minimum_charge="0.02")


def bench_rating(calls: int, prefixes: int, rng: random.Random) -> None:
	plan = make_rating_plan(rng, prefixes)
	records = [
		Call(
			"+" + str(rng.randint(1, 999)) + "".join(rng.choice("0123456789") for _ in range(9)),
			rng.random() < 0.75,
			rng.randint(0, 1800),
		)
		for _ in range(calls)
	]
	t0, c0 = time.perf_counter(), time.process_time()
	total = charged = unrated = 0
	for call in records:
		result = rate(call, plan)
		if type(result) is Charge:
			total += result.amount_minor
			charged += result.amount_minor > 0
		else:
			unrated += 1
	elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
	print(
		f"rating: {calls:,} calls against {len(plan.rates):,} prefixes in {elapsed:.2f} s (CPU {cpu:.2f} s) "
		f"({calls / elapsed:,.0f} calls/s); {charged:,} charged, {unrated:,} without a rate, "
		f"total {money.format_minor(total, 'EUR')}   (target ≤ 10 s for 1,000,000)"
	)


def make_statement(lines: int, rng: random.Random):
	top_ups, rows = [], []
	for i in range(lines):
		ref = references.sequence_reference(i, "CC")
		amount = rng.randint(1000, 500000)
		top_ups.append(matching.TopUpRequest(f"TOP-{i:06d}", ref, amount, "EUR"))
		kind = rng.random()
		if kind < 0.70:
			paid, text = amount, f"Guthaben {references.format_reference(ref).lower()} danke"
		elif kind < 0.80:
			paid, text = amount - 100, f"{ref}"
		elif kind < 0.85:
			paid, text = amount + 100, f"Ref {references.format_reference(ref)}"
		elif kind < 0.90:
			paid, text = amount, references.make_reference(f"X{i}")
		else:
			paid, text = amount, f"Rechnung {i} ohne Referenz"
		rows.append((f"L{i:07d}", paid, text, f"Kunde {i}"))
	return top_ups, rows


def to_csv(rows) -> bytes:
	out = ["Buchungstag;Betrag;Waehrung;Verwendungszweck;Auftraggeber;Id"]
	for line_id, paid, text, who in rows:
		euros = str(money.from_minor(paid, "EUR")).replace(".", ",")
		out.append(f"04.12.2026;{euros};EUR;{text};{who};{line_id}")
	return ("\n".join(out) + "\n").encode()


def to_camt(rows) -> bytes:
	ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
	parts = [f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{ns}"><BkToCstmrStmt><Stmt><Id>S</Id>']
	parts.append("<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>")
	for line_id, paid, text, who in rows:
		parts.append(
			f'<Ntry><Amt Ccy="EUR">{money.from_minor(paid, "EUR")}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
			f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-04</Dt></BookgDt><AcctSvcrRef>{line_id}</AcctSvcrRef>"
			f"<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>{who}</Nm></Pty></Dbtr></RltdPties>"
			f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
		)
	parts.append("</Stmt></BkToCstmrStmt></Document>")
	return "".join(parts).encode()


def bench_statements(lines: int, rng: random.Random) -> None:
	top_ups, rows = make_statement(lines, rng)
	mapping = statements.CsvMapping(
		columns={
			"date": "Buchungstag",
			"amount": "Betrag",
			"currency": "Waehrung",
			"text": "Verwendungszweck",
			"counterparty": "Auftraggeber",
			"line_id": "Id",
		},
		delimiter=";",
		decimal=",",
		date_format="%d.%m.%Y",
	)
	for name, data, parse in (
		("CSV", to_csv(rows), lambda d: statements.parse_csv(d, mapping)),
		("CAMT.053", to_camt(rows), statements.parse_camt053),
	):
		t0, c0 = time.perf_counter(), time.process_time()
		stmt = parse(data)
		t1 = time.perf_counter()
		result = matching.match(stmt.lines, top_ups, bank_account="DE89370400440532013000")
		t2, c2 = time.perf_counter(), time.process_time()
		counts = {k: v for k, v in matching.summary(result).items() if v}
		print(
			f"{name:8}: {len(stmt.lines):,} lines ({len(data) / 1e6:.1f} MB): parse {t1 - t0:.2f} s, "
			f"match against {len(top_ups):,} open top-ups {t2 - t1:.2f} s, total {t2 - t0:.2f} s (CPU {c2 - c0:.2f} s) "
			f"({len(stmt.lines) / (t2 - t0):,.0f} lines/s); {counts}"
		)


def main() -> None:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument("--calls", type=int, default=1_000_000)
	ap.add_argument("--lines", type=int, default=100_000)
	ap.add_argument("--prefixes", type=int, default=3000)
	ap.add_argument("--seed", type=int, default=16)
	args = ap.parse_args()
	rng = random.Random(args.seed)
	print(f"Python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
	bench_rating(args.calls, args.prefixes, rng)
	bench_statements(args.lines, rng)


if __name__ == "__main__":
	main()
