# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt
"""CC Credit Reconciliation: per period, what the gateways reported (verified CC Payment Events), what the
bank statements show (CC Bank Statement Line) and what the ledger credited (Top-up entries), side by side
per top-up, with the differences named. The rows come from :func:`callcenter_app.credit.reconciliation.reconcile`;
this file reads the records (one query each) and lays the result out. Frappe's own report export gives
xlsx and csv; the top-up exports for accounting are ``callcenter_app.api.credit.export_top_ups``."""

import frappe
from frappe import _
from frappe.utils import add_days, getdate

from callcenter_app.credit import money
from callcenter_app.credit.reconciliation import OK, reconcile

LINE = "CC Bank Statement Line"  # the bank statement import's lines (credit/bank); optional


def execute(filters=None):
	filters = frappe._dict(filters or {})
	start, end = (
		getdate(filters.get("from_date") or add_days(getdate(), -30)),
		getdate(filters.get("to_date") or getdate()),
	)
	if end < start:
		frappe.throw(_("To Date: cannot be before From Date"))
	until = add_days(end, 1)
	conditions = {"account": filters.account} if filters.get("account") else {}
	if filters.get("method"):
		conditions["method"] = filters.method
	top_ups = frappe.get_all(
		"CC Top Up",
		filters=conditions,
		or_filters=[["requested_at", "between", [start, until]], ["confirmed_at", "between", [start, until]]],
		fields=["name", "account", "method", "status", "currency", "amount_minor", "ledger_entry"],
		order_by="requested_at asc, name asc",
	)
	names = [t.name for t in top_ups] or [""]
	events = frappe.get_all(
		"CC Payment Event",
		filters={"signature_ok": 1},
		or_filters=[["top_up", "in", names], ["received_at", "between", [start, until]]],
		fields=["name", "top_up", "status", "event_type", "amount_minor", "currency"],
	)
	events = [e for e in events if not e.top_up or e.top_up in names]
	lines = []
	if frappe.db.exists("DocType", LINE):
		lines = frappe.get_all(
			LINE,
			or_filters=[["top_up", "in", names], ["booking_date", "between", [start, end]]],
			fields=["name", "top_up", "amount_minor", "currency", "match_status", "decision"],
		)
		lines = [ln for ln in lines if not ln.top_up or ln.top_up in names]
	entry_filters = {"kind": "Top-up", "posting_time": ["between", [start, until]]}
	if filters.get("account"):
		entry_filters["account"] = filters.account
	entries = frappe.get_all(
		"CC Credit Ledger Entry",
		filters=entry_filters,
		fields=["name", "account", "amount_minor", "currency"],
	)
	linked = [
		t.ledger_entry for t in top_ups if t.ledger_entry and t.ledger_entry not in {e.name for e in entries}
	]
	if linked:
		entries += frappe.get_all(
			"CC Credit Ledger Entry",
			filters={"name": ["in", linked]},
			fields=["name", "account", "amount_minor", "currency"],
		)
	if filters.get("method"):
		events, lines = (events, []) if filters.method in ("Stripe", "PayPal") else ([], lines)
		entries = [e for e in entries if e.name in {t.ledger_entry for t in top_ups}]
	rows = reconcile(top_ups, events, lines, entries)
	if filters.get("only_differences"):
		rows = [r for r in rows if r.note != OK]
	data = [display(r) for r in rows]
	return columns(), data, None, None, summary(rows)


def major(minor, currency):
	if minor is None or not currency:
		return None
	try:
		return float(money.from_minor(int(minor), currency))
	except Exception:
		return None


def display(row) -> dict:
	out = row.as_dict()
	for field in ("requested", "gateway", "statement", "ledger", "difference"):
		out[field] = major(out.pop(f"{field}_minor"), row.currency)
	out["ok"] = 1 if row.note == OK else 0
	return out


def columns() -> list[dict]:
	return [
		{
			"fieldname": "top_up",
			"label": _("Top-up"),
			"fieldtype": "Link",
			"options": "CC Top Up",
			"width": 120,
		},
		{
			"fieldname": "account",
			"label": _("Account"),
			"fieldtype": "Link",
			"options": "CC Credit Account",
			"width": 110,
		},
		{"fieldname": "method", "label": _("Method"), "fieldtype": "Data", "width": 100},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 100},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Data",
			"width": 80,
		},
		{
			"fieldname": "requested",
			"label": _("Requested"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 110,
		},
		{
			"fieldname": "gateway",
			"label": _("Gateway"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 110,
		},
		{
			"fieldname": "statement",
			"label": _("Bank statement"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 120,
		},
		{
			"fieldname": "ledger",
			"label": _("Ledger"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 110,
		},
		{
			"fieldname": "difference",
			"label": _("Difference"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 110,
		},
		{"fieldname": "note", "label": _("Note"), "fieldtype": "Data", "width": 420},
		{"fieldname": "ok", "label": _("OK"), "fieldtype": "Check", "width": 50, "hidden": 1},
	]


def summary(rows) -> list[dict]:
	differing = sum(1 for r in rows if r.note != OK)
	return [
		{"value": len(rows), "label": _("Rows"), "datatype": "Int", "indicator": "Blue"},
		{
			"value": differing,
			"label": _("With differences"),
			"datatype": "Int",
			"indicator": "Red" if differing else "Green",
		},
	]
