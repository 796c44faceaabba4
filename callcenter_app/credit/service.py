"""Prepaid credit, the Frappe side of the ledger: posting entries, confirming top-ups, and who may see
which account.

The ledger is append-only. ``post_entry`` is the only way an entry is written and the only way an
account's ``balance_minor`` changes; both happen in the caller's transaction, under a row lock on the
account (``SELECT … FOR UPDATE``), so concurrent posts to one account are serialised and the balance is
always the sum of the account's entries. Each entry carries an idempotency key (unique index): posting
the same key again returns the first entry and changes nothing, so a replayed webhook, a rerun job or a
retried request credits or charges once.
"""

from __future__ import annotations

import datetime as dt
import logging

import frappe
from frappe import _
from frappe.utils import now_datetime
from pymysql.converters import escape_string

from callcenter_app.common import roles
from callcenter_app.credit import bulk, ledger
from callcenter_app.utils import has_capability

ACCOUNT = "CC Credit Account"
ENTRY = "CC Credit Ledger Entry"
TOP_UP = "CC Top Up"
log = logging.getLogger("callcenter.credit")

# The kinds, their signs, key prefixes and the rules of corrections and refunds are the pure ledger's
# (credit/ledger.py); post_entry checks them under the account's row lock.
KINDS = ledger.KINDS

# Holders of roles.MANAGE_CREDIT see and manage every account; everyone else sees the accounts of the HD
# Customers whose contact they are (portal customers).


class LedgerError(frappe.ValidationError):
	"""A posting that cannot be accepted; the message names the argument and the reason."""


class IdempotencyConflict(LedgerError):
	"""The key was used before for a different posting (another account, kind or amount)."""


def _refuse(field: str, reason: str, exc: type[Exception] = LedgerError):
	frappe.throw(_("{0}: {1}").format(field, reason), exc, title=_("Ledger entry refused"))


def _check_amount(kind: str, amount_minor) -> int:
	if kind not in KINDS:
		_refuse("kind", _("must be one of {0}, not {1!r}").format(", ".join(KINDS), kind))
	if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
		_refuse("amount_minor", _("must be a whole number of minor units, not {0!r}").format(amount_minor))
	return amount_minor


def _check_rules(account: str, kind: str, amount_minor: int, key: str, against: str | None, balance: int):
	"""The pure ledger's rules (credit/ledger.py: signs, key prefixes, corrections, refunds), checked
	under the account's lock with the stored balance and the corrected entry."""
	target, corrected = None, 0
	if against:
		row = frappe.db.get_value(
			ENTRY, against, ["account", "kind", "amount_minor", "idempotency_key"], as_dict=True
		)
		if not row:
			_refuse("against", _("no ledger entry {0!r}").format(against))
		target = ledger.Entry(row.idempotency_key, row.account, row.kind, int(row.amount_minor))
		corrected = int(
			frappe.db.sql(
				f"select coalesce(sum(amount_minor), 0) from `tab{ENTRY}` where against_entry=%s", (against,)
			)[0][0]
		)
	entry = ledger.Entry(key, account, kind, amount_minor, target.key if target else None)
	try:
		ledger.check_entry(entry, balance=balance, target=target, corrected_so_far=corrected)
	except ledger.LedgerError as e:
		_refuse(e.field, e.reason)


def _same_posting(entry: dict, account: str, kind: str, amount_minor: int) -> bool:
	return (
		entry["account"] == account and entry["kind"] == kind and int(entry["amount_minor"]) == amount_minor
	)


def _existing(key: str, *, locking: bool = False) -> dict | None:
	"""The entry with this key. ``locking`` reads the latest committed row (a consistent read in
	REPEATABLE READ may still show the snapshot from before another transaction's commit)."""
	rows = frappe.db.sql(
		f"select name, account, kind, amount_minor from `tab{ENTRY}` where idempotency_key=%s"
		+ (" lock in share mode" if locking else ""),
		(key,),
		as_dict=True,
	)
	return rows[0] if rows else None


def _replay(existing: dict, account: str, kind: str, amount_minor: int, key: str):
	if not _same_posting(existing, account, kind, amount_minor):
		_refuse(
			"idempotency_key",
			_("{0} was used by entry {1} ({2} {3} on {4}); a different posting needs its own key").format(
				key, existing["name"], existing["kind"], existing["amount_minor"], existing["account"]
			),
			IdempotencyConflict,
		)
	# a locking read: the entry may be newer than this transaction's snapshot
	return frappe.get_doc(ENTRY, existing["name"], for_update=True)


def lock_account(account: str) -> dict:
	"""The account row, locked for update until the transaction ends."""
	rows = frappe.db.sql(
		f"select name, currency, status, balance_minor from `tab{ACCOUNT}` where name=%s for update",
		(account,),
		as_dict=True,
	)
	if not rows:
		_refuse("account", _("no CC Credit Account {0!r}").format(account), frappe.DoesNotExistError)
	return rows[0]


def post_entry(
	account: str,
	kind: str,
	amount_minor: int,
	source_doctype: str | None,
	source_name: str | None,
	idempotency_key: str,
	against: str | None = None,
	remark: str | None = None,
):
	"""Append one entry to ``account``'s ledger and move its balance; returns the CC Credit Ledger Entry.

	Idempotent on ``idempotency_key``: a second call with the same key returns the first entry and changes
	nothing (a key reused for a different account, kind or amount is refused). The pure ledger's rules
	(credit/ledger.py: signs, key prefixes per kind, corrections of the same account with the opposite sign
	and never more than the entry, refunds never more than the balance) are checked under the lock.
	Runs in the caller's transaction; the caller commits."""
	amount_minor = _check_amount(kind, amount_minor)
	key = (idempotency_key or "").strip()
	if not key:
		_refuse("idempotency_key", _("is required: it is what makes a retried posting harmless"))
	if len(key) > 140:
		_refuse("idempotency_key", _("is longer than 140 characters"))
	if (source_doctype or None) is None and source_name:
		_refuse("source_doctype", _("is required when a source document is given"))

	existing = _existing(key)
	if existing:
		return _replay(existing, account, kind, amount_minor, key)

	row = lock_account(account)
	# a posting of this key to this account that committed while we waited for the lock; one the snapshot
	# still hides is caught by the unique index below (no locking read here: on a missing key it would
	# take a gap lock, and two posts to different accounts could deadlock on their inserts)
	existing = _existing(key)
	if existing:
		return _replay(existing, account, kind, amount_minor, key)
	if row.status == "Closed" and kind not in ("Correction", "Refund"):
		_refuse("account", _("{0} is closed: only corrections and refunds can be posted").format(account))
	_check_rules(account, kind, amount_minor, key, against, int(row.balance_minor))

	balance_after = int(row.balance_minor) + amount_minor
	entry = frappe.get_doc(
		{
			"doctype": ENTRY,
			"account": account,
			"posting_time": now_datetime(),
			"kind": kind,
			"amount_minor": amount_minor,
			"currency": row.currency,
			"balance_after_minor": balance_after,
			"source_doctype": source_doctype or None,
			"source_name": source_name or None,
			"idempotency_key": key,
			"against_entry": against or None,
			"remark": remark or None,
		}
	)
	entry.flags.posted_by_ledger_service = True
	frappe.db.savepoint("cc_ledger_post")
	try:
		entry.insert(ignore_permissions=True)
	except frappe.UniqueValidationError:
		# the key was committed elsewhere between our reads (another account's posting with this key)
		frappe.db.rollback(save_point="cc_ledger_post")
		existing = _existing(key, locking=True)
		if existing:
			return _replay(existing, account, kind, amount_minor, key)
		raise
	frappe.db.sql(f"update `tab{ACCOUNT}` set balance_minor=%s where name=%s", (balance_after, account))
	return entry


def ledger_sum(account: str) -> tuple[int, int]:
	"""(balance on the account, sum of its entries): equal, always."""
	balance = frappe.db.get_value(ACCOUNT, account, "balance_minor")
	total = frappe.db.sql(
		f"select coalesce(sum(amount_minor), 0) from `tab{ENTRY}` where account=%s", (account,)
	)
	return int(balance or 0), int(total[0][0])


def confirm_top_up(top_up: str, amount_minor: int, source, key: str):
	"""Credit a top-up once money has arrived: a Top-up entry of ``amount_minor`` (what arrived, in the
	top-up's currency) from ``source`` (a document, or a (doctype, name) pair: the CC Payment Event, the
	CC Bank Statement Line) with idempotency ``key``; the top-up becomes Confirmed and points at the entry.

	Once only: a top-up that is confirmed already returns its entry and changes nothing, whatever the key
	(the same payment seen through a webhook and a bank statement credits once). Returns the entry."""
	rows = frappe.db.sql(
		f"select name, account, currency, status, amount_minor, ledger_entry from `tab{TOP_UP}` where name=%s for update",
		(top_up,),
		as_dict=True,
	)
	if not rows:
		_refuse("top_up", _("no CC Top Up {0!r}").format(top_up), frappe.DoesNotExistError)
	row = rows[0]
	if row.status == "Confirmed" and row.ledger_entry:
		# a locking read: the entry may be newer than this transaction's snapshot
		return frappe.get_doc(ENTRY, row.ledger_entry, for_update=True)
	if isinstance(source, (tuple, list)):
		source_doctype, source_name = source
	else:
		source_doctype, source_name = source.doctype, source.name
	account_currency = frappe.db.get_value(ACCOUNT, row.account, "currency")
	if row.currency != account_currency:
		_refuse(
			"currency",
			_("top-up {0} is in {1}, its account in {2}").format(top_up, row.currency, account_currency),
		)
	remark = _("Top-up {0}").format(top_up)
	if isinstance(amount_minor, int) and int(row.amount_minor or 0) != amount_minor:
		remark += " " + _("(requested {0}, received {1})").format(row.amount_minor, amount_minor)
	entry = post_entry(row.account, "Top-up", amount_minor, source_doctype, source_name, key, remark=remark)
	frappe.db.sql(
		f"update `tab{TOP_UP}` set status='Confirmed', confirmed_at=%s, ledger_entry=%s, modified=%s where name=%s",
		(entry.posting_time, entry.name, now_datetime(), top_up),
	)
	from callcenter_app.credit.gateways.service import after_confirm

	after_confirm(top_up)  # ERPNext's Journal Entry, when ERPNext is installed
	return entry


# Many credits at once (the bank statement import) -------------------------------------------------------

ENTRY_FIELDS = (
	"name",
	"owner",
	"modified_by",
	"creation",
	"modified",
	"docstatus",
	"idx",
	"account",
	"posting_time",
	"kind",
	"amount_minor",
	"currency",
	"balance_after_minor",
	"source_doctype",
	"source_name",
	"idempotency_key",
	"against_entry",
	"remark",
)


def literal(value) -> str:
	"""One SQL literal, escaped once (``None``, ints, dates and datetimes, text through pymysql's
	``escape_string``): multi-row INSERTs built from these skip pymysql's per-parameter ``mogrify``."""
	if value is None:
		return "NULL"
	if isinstance(value, bool):
		return "1" if value else "0"
	if isinstance(value, int):
		return str(value)
	if isinstance(value, dt.date):  # date or datetime
		return f"'{value}'"
	return "'" + escape_string(str(value)) + "'"


def values_sql(rows) -> str:
	return ", ".join("(" + ", ".join(map(literal, row)) + ")" for row in rows)


def _case(column: str, pairs) -> str:
	"""``case name when … then … end`` for one UPDATE of many rows with a value each."""
	whens = " ".join(f"when {literal(k)} then {literal(v)}" for k, v in pairs)
	return f"case `name` {whens} else `{column}` end"


def _series():
	"""(prefix, suffix, digits) of the entry's naming series (``CLE-.########``: "CLE-", "", 8), or None
	when its names come from anything else (a Document Naming Rule, a field, a hash …): then only the
	per-entry path names entries as Frappe would."""
	from frappe.model.naming import parse_naming_series

	autoname = frappe.get_meta(ENTRY).autoname or ""
	if "#" not in autoname or ":" in autoname or "{" in autoname:
		return None
	if frappe.db.exists("Document Naming Rule", {"document_type": ENTRY, "disabled": 0}):
		return None
	found = {}

	def grab(key, digits):
		found.update(key=key, digits=digits)
		return "\0"

	name = parse_naming_series(autoname.split("."), number_generator=grab)
	if not found or name.count("\0") != 1:
		return None
	prefix, suffix = name.split("\0")
	if prefix != found["key"]:
		return None
	return prefix, suffix, found["digits"]


def _take_names(prefix: str, suffix: str, digits: int, count: int) -> list[str]:
	"""``count`` names of the series in one step: its counter row locked, moved by ``count`` (the same
	row ``make_autoname`` locks and moves by one per document)."""
	rows = frappe.db.sql("select `current` from `tabSeries` where `name`=%s for update", (prefix,))
	if rows and rows[0][0] is not None:
		current = int(rows[0][0])
		frappe.db.sql("update `tabSeries` set `current`=`current`+%s where `name`=%s", (count, prefix))
	else:
		current = 0
		frappe.db.sql("insert into `tabSeries` (`name`, `current`) values (%s, %s)", (prefix, count))
	return bulk.series_names(prefix, suffix, current, count, digits)


def bulk_path_open() -> bool:
	"""Whether entries may be written in bulk and keep every effect a Document insert has on this site:
	names from the series, and no Notification, Webhook or Server Script on ledger entries (those run per
	document; with any of them the per-entry path is taken)."""
	if _series() is None:
		return False
	for doctype, filters in (
		("Notification", {"document_type": ENTRY, "enabled": 1}),
		("Webhook", {"webhook_doctype": ENTRY, "enabled": 1}),
		("Server Script", {"reference_doctype": ENTRY, "disabled": 0}),
	):
		if frappe.db.exists(doctype, filters):
			return False
	return True


def _one_by_one(credits: list[bulk.Credit]) -> dict[str, bulk.Outcome]:
	"""The per-entry path: ``confirm_top_up`` for each credit, each in its own savepoint."""
	out = {}
	for c in credits:
		frappe.db.savepoint("cc_ledger_one")
		try:
			entry = confirm_top_up(c.top_up, c.amount_minor, (c.source_doctype, c.source_name), c.key)
		except Exception as e:
			frappe.db.rollback(save_point="cc_ledger_one")
			out[c.source_name] = bulk.Outcome(bulk.REFUSED, reason=str(e)[:300])
			continue
		if entry.source_doctype == c.source_doctype and entry.source_name == c.source_name:
			out[c.source_name] = bulk.Outcome(bulk.POSTED, entry.name)
		else:
			out[c.source_name] = bulk.Outcome(
				bulk.OTHER, entry.name, _("{0} was confirmed meanwhile by {1}").format(c.top_up, entry.name)
			)
	return out


def confirm_top_ups(credits: list[bulk.Credit], *, one_by_one: bool = False) -> dict[str, bulk.Outcome]:
	"""``confirm_top_up`` for many top-ups at once, with its effects and guarantees: source name → outcome
	(``bulk.POSTED`` / ``ALREADY`` with the entry; ``OTHER``: the top-up was credited by another source;
	``REFUSED`` with the reason). Runs in the caller's transaction; the caller commits.

	The top-ups, then their accounts, are locked in name order (a single ``confirm_top_up`` locks one
	top-up, then its account: no circle); the stored state is judged by ``bulk.plan`` (the per-entry
	rules); the new entries are named from the series in one step and written in one INSERT; each account's
	balance moves once (to the sum of its entries); the top-ups are confirmed in one UPDATE. The entries'
	``after_insert`` hooks (the low-balance notice) run once per account, with its last entry; ERPNext's
	Journal Entry job is queued per top-up as ``confirm_top_up`` does. The idempotency key stays unique: a
	key the plan did not see (committed meanwhile by another account's posting) makes the INSERT fail,
	which is undone and the same credits go the per-entry way."""
	if not credits:
		return {}
	if one_by_one or not bulk_path_open():
		return _one_by_one(credits)
	top_ups = {
		r.name: bulk.TopUpState(
			r.name, r.account, r.currency, r.status, int(r.amount_minor or 0), r.ledger_entry
		)
		for r in frappe.db.sql(
			f"select name, account, currency, status, amount_minor, ledger_entry from `tab{TOP_UP}`"
			f" where name in ({', '.join(map(literal, bulk.lock_order(c.top_up for c in credits)))})"
			" order by name for update",
			as_dict=True,
		)
	}
	accounts = {}
	names = bulk.lock_order(t.account for t in top_ups.values())
	if names:
		accounts = {
			r.name: bulk.AccountState(r.name, r.currency, r.status, int(r.balance_minor or 0))
			for r in frappe.db.sql(
				f"select name, currency, status, balance_minor from `tab{ACCOUNT}`"
				f" where name in ({', '.join(map(literal, names))}) order by name for update",
				as_dict=True,
			)
		}
	wanted = [literal(c.key) for c in credits]
	entries = [t.ledger_entry for t in top_ups.values() if t.ledger_entry]
	where = f"idempotency_key in ({', '.join(wanted)})"
	if entries:
		where += f" or name in ({', '.join(map(literal, entries))})"
	known = [
		bulk.KnownEntry(
			r.name, r.idempotency_key, r.account, r.kind, int(r.amount_minor), r.source_doctype, r.source_name
		)
		for r in frappe.db.sql(
			"select name, idempotency_key, account, kind, amount_minor, source_doctype, source_name"
			f" from `tab{ENTRY}` where {where}",
			as_dict=True,
		)
	]
	the_plan = bulk.plan(credits, top_ups, accounts, known)
	frappe.db.savepoint("cc_ledger_bulk")
	try:
		names = _write(the_plan)
	except Exception as e:
		if not frappe.db.is_unique_key_violation(e):
			raise
		frappe.db.rollback(save_point="cc_ledger_bulk")
		log.warning("bulk credit met a key committed meanwhile; crediting one by one: %s", e)
		return _one_by_one(credits)
	out = {}
	for source, outcome in the_plan.outcomes.items():
		out[source] = outcome
	for i, p in enumerate(the_plan.postings):
		out[p.credit.source_name] = bulk.Outcome(bulk.POSTED, names[i])
	from callcenter_app.credit.gateways.service import after_confirm

	for top_up, _i in the_plan.confirm:
		after_confirm(top_up)  # ERPNext's Journal Entry, when ERPNext is installed
	for top_up, _entry in the_plan.relink:
		after_confirm(top_up)
	return out


def _write(the_plan: bulk.Plan) -> list[str]:
	"""The plan into the database: entries, balances, top-ups; then the entries' after_insert hooks once
	per account. Returns the new entries' names (in the plan's order)."""
	now = now_datetime()
	user = frappe.session.user
	names: list[str] = []
	if the_plan.postings:
		prefix, suffix, digits = _series()
		names = _take_names(prefix, suffix, digits, len(the_plan.postings))
		rows = [
			(
				names[i],
				user,
				user,
				now,
				now,
				0,
				0,
				p.account,
				now,
				ledger.TOP_UP,
				p.credit.amount_minor,
				p.currency,
				p.balance_after_minor,
				p.credit.source_doctype,
				p.credit.source_name,
				p.credit.key,
				None,
				_remark(p),
			)
			for i, p in enumerate(the_plan.postings)
		]
		columns = ", ".join(f"`{f}`" for f in ENTRY_FIELDS)
		for chunk in bulk.chunks(rows, 5000):
			frappe.db.sql(f"insert into `tab{ENTRY}` ({columns}) values {values_sql(chunk)}")
		accounts = list(the_plan.balances.items())
		frappe.db.sql(
			f"update `tab{ACCOUNT}` set balance_minor={_case('balance_minor', accounts)}"
			f" where name in ({', '.join(literal(a) for a, _b in accounts)})"
		)
	confirmed = [(t, names[i]) for t, i in the_plan.confirm] + list(the_plan.relink)
	if confirmed:
		frappe.db.sql(
			f"update `tab{TOP_UP}` set status='Confirmed', confirmed_at={literal(now)}, modified={literal(now)},"
			f" ledger_entry={_case('ledger_entry', confirmed)}"
			f" where name in ({', '.join(literal(t) for t, _e in confirmed)})"
		)
	for i in the_plan.last_per_account().values():
		p = the_plan.postings[i]
		doc = frappe.get_doc(
			{
				"doctype": ENTRY,
				"name": names[i],
				"account": p.account,
				"posting_time": now,
				"kind": ledger.TOP_UP,
				"amount_minor": p.credit.amount_minor,
				"currency": p.currency,
				"balance_after_minor": p.balance_after_minor,
				"source_doctype": p.credit.source_doctype,
				"source_name": p.credit.source_name,
				"idempotency_key": p.credit.key,
				"remark": _remark(p),
			}
		)
		doc.flags.posted_by_ledger_service = True
		doc.run_method("after_insert")  # the doc_events hooks (low-balance re-arm / notice), once per account
	if names:
		frappe.publish_realtime("list_update", {"doctype": ENTRY, "name": names[-1]}, after_commit=True)
	return names


def _remark(p: bulk.Posting) -> str:
	remark = _("Top-up {0}").format(p.credit.top_up)
	if p.requested_minor != p.credit.amount_minor:
		remark += " " + _("(requested {0}, received {1})").format(p.requested_minor, p.credit.amount_minor)
	return remark


# Who sees which account ------------------------------------------------------------------------------


def is_overseer(user: str | None = None) -> bool:
	return has_capability(roles.MANAGE_CREDIT, user)


def customers_of_user(user: str | None = None) -> list[str]:
	"""The HD Customers whose contact the user is: Contacts named after the user, linked to the user, or
	with the user's email as their primary email (Helpdesk's own rule in helpdesk.utils.get_customer,
	plus Contact.user), each linked to HD Customer."""
	user = user or frappe.session.user
	if not user or user == "Guest":
		return []
	rows = frappe.db.sql(
		"""select distinct dl.link_name from `tabDynamic Link` dl
		join `tabContact` c on c.name = dl.parent
		where dl.parenttype='Contact' and dl.parentfield='links' and dl.link_doctype='HD Customer'
		and (c.name=%(user)s or c.email_id=%(user)s or c.user=%(user)s)""",
		{"user": user},
	)
	return sorted(r[0] for r in rows)


def accounts_of_user(user: str | None = None) -> list[str]:
	customers = customers_of_user(user)
	if not customers:
		return []
	return frappe.get_all(ACCOUNT, filters={"customer": ["in", customers]}, pluck="name", order_by="name")


def _in(column: str, values: list[str]) -> str:
	if not values:
		return "1=0"
	return f"{column} in ({', '.join(frappe.db.escape(v) for v in values)})"


def account_query(user: str | None = None) -> str:
	user = user or frappe.session.user
	if is_overseer(user):
		return ""
	return _in(f"`tab{ACCOUNT}`.`customer`", customers_of_user(user))


def entry_query(user: str | None = None) -> str:
	user = user or frappe.session.user
	if is_overseer(user):
		return ""
	return _in(f"`tab{ENTRY}`.`account`", accounts_of_user(user))


def top_up_query(user: str | None = None) -> str:
	user = user or frappe.session.user
	if is_overseer(user):
		return ""
	return _in(f"`tab{TOP_UP}`.`account`", accounts_of_user(user))


def _stored(doc, field: str) -> set:
	values = {doc.get(field)}
	if not doc.is_new() and doc.name:
		values.add(frappe.db.get_value(doc.doctype, doc.name, field))
	return values


def account_permission(doc, ptype: str = "read", user: str | None = None) -> bool:
	user = user or frappe.session.user
	if is_overseer(user):
		return True
	if ptype not in ("read", "print"):
		return False
	customers = set(customers_of_user(user))
	return all(c and c in customers for c in _stored(doc, "customer"))


def _by_account(doc, ptype: str, user: str | None) -> bool:
	user = user or frappe.session.user
	if is_overseer(user):
		return True
	if ptype not in ("read", "print"):
		return False
	accounts = set(accounts_of_user(user))
	return all(a and a in accounts for a in _stored(doc, "account"))


def entry_permission(doc, ptype: str = "read", user: str | None = None) -> bool:
	return _by_account(doc, ptype, user)


def top_up_permission(doc, ptype: str = "read", user: str | None = None) -> bool:
	return _by_account(doc, ptype, user)


def cc_format_minor(amount_minor, currency: str) -> str:
	"""Jinja (print formats, portal): minor units as "12.50 EUR" with the currency's own exponent."""
	from callcenter_app.credit import money

	return money.format_minor(int(amount_minor or 0), currency)
