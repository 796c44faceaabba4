"""Frappe glue shared by controllers and endpoints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from functools import wraps

import frappe
from frappe import _
from frappe.utils import get_datetime, get_system_timezone

from callcenter_app.common import roles, times
from callcenter_app.common.errors import FieldError


def stored_and_edited(doc, fields: list[str]) -> list:
	"""The document as the user is about to save it, and the row as the database holds it (when there is
	one). Permission hooks judge both: ``frappe.client.set_value`` asks them about the edited document,
	so a check of ``doc`` alone lets a user edit their way into a record (set the team to their own)."""
	rows = [doc]
	if not doc.is_new() and doc.name:
		stored = frappe.db.get_value(doc.doctype, doc.name, fields, as_dict=True)
		if stored:
			rows.append(stored)
	return rows


def field_label(doctype: str, fieldname: str) -> str:
	"""The label a person sees for ``fieldname`` (child-table paths like ``nodes[2].next`` are kept)."""
	df = frappe.get_meta(doctype).get_field(fieldname.split("[", 1)[0].split(".", 1)[0])
	return _(df.label) if df and df.label and "[" not in fieldname else fieldname


def _markup_free(text: str) -> str:
	"""Values echoed in a message (a pattern, a name) cannot become markup in the desk's dialog; quotes
	stay readable."""
	return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _label(where: str | Mapping[str, str] | None, field: str) -> str:
	if where is None:
		return field
	if isinstance(where, Mapping):
		return _(where.get(field, field))
	return field_label(where, field)


def field_errors_message(
	where: str | Mapping[str, str] | None, errors: Iterable[FieldError], record: str | None = None
) -> str:
	"""'Label: reason' for one problem, a list of them for several; markup in values is neutralised.
	``where`` gives the labels: a doctype (its fields' labels), a mapping field → label, or None (the field
	as the pure code named it, e.g. a route's ``nodes[2].next``). With ``record`` (a record of that
	doctype other than the one on screen) each line starts with 'Doctype name: '."""
	prefix = _("{0} {1}: ").format(_(where), record) if record and isinstance(where, str) else ""
	lines = [prefix + _("{0}: {1}").format(_label(where, e.field), e.reason) for e in errors]
	if len(lines) == 1:
		return _markup_free(lines[0])
	return "<ul>" + "".join(f"<li>{_markup_free(line)}</li>" for line in lines) + "</ul>"


def throw_field_errors(
	where: str | Mapping[str, str] | None,
	errors: Iterable[FieldError],
	title: str | None = None,
	record: str | None = None,
) -> None:
	"""The one way a FieldError becomes a refusal (``frappe.ValidationError``): every problem, each naming
	its field's label and the reason. Nothing happens when ``errors`` is empty."""
	errors = list(errors)
	if not errors:
		return
	default = _("Invalid {0}").format(_(where)) if isinstance(where, str) else None
	frappe.throw(field_errors_message(where, errors, record), frappe.ValidationError, title=title or default)


def throw_field_error(error: FieldError) -> None:
	"""One problem as 'field: reason' (the desk's phone actions, where no doctype's labels apply)."""
	throw_field_errors(None, [error])


def throw_errors(errors: Iterable[FieldError], title: str) -> None:
	"""Problems that are not one doctype's fields (a route's nodes), each as 'where: reason'."""
	throw_field_errors(None, errors, title)


# --- who may do what (the capabilities are in the pure common/roles.py) -----------------------------------


def has_capability(capability: str | roles.Capability, user: str | None = None) -> bool:
	"""Whether ``user`` (the session user) holds ``capability``. Administrator holds every one."""
	user = user or frappe.session.user
	return user == roles.ADMINISTRATOR or roles.may(roles_of(user), capability)


def roles_of(user: str | None = None) -> list[str]:
	"""Frappe's roles of ``user`` (the session user): the one place the app asks for them."""
	return frappe.get_roles(user or frappe.session.user)


def has_role(role: str, user: str | None = None) -> bool:
	"""Whether ``user`` (the session user) has ``role`` itself (prefer a capability; this is for the few
	rules about one role, such as "an Agent without SEE_ALL_TICKETS")."""
	return role in roles_of(user)


def require(capability: str | roles.Capability, user: str | None = None, message: str | None = None) -> None:
	"""Refuse (``frappe.PermissionError``, HTTP 403) unless ``user`` holds ``capability``."""
	if not has_capability(capability, user):
		frappe.throw(
			message or _(roles.refusal(capability)), frappe.PermissionError, title=_("Not permitted")
		)


def requires(capability: str | roles.Capability) -> Callable:
	"""Decorator for a whitelisted method: the session user must hold ``capability`` before anything runs.
	Put it under ``@frappe.whitelist()``; docs/permission-matrix.md lists the method with it."""
	cap = roles.capability(capability)

	def decorate(fn: Callable) -> Callable:
		@wraps(fn)
		def checked(*args, **kwargs):
			require(cap)
			return fn(*args, **kwargs)

		checked.cc_capability = cap
		return checked

	return decorate


def is_masked_password(value: str | None) -> bool:
	"""Frappe shows a saved Password field as asterisks; such a value is not a new secret."""
	return bool(value) and set(value) == {"*"}


# --- site settings every area reads --------------------------------------------------------------------


def call_center_timezone() -> str:
	return frappe.db.get_single_value("CC Settings", "site_timezone") or frappe.utils.get_system_timezone()


def default_region() -> str | None:
	"""The ISO code of the system's country, used to read national numbers."""
	country = frappe.db.get_single_value("System Settings", "country")
	code = frappe.db.get_value("Country", country, "code") if country else None
	return code.upper() if code else None


def child_rows(child_doctype: str, parent_doctype: str, fields: list[str]) -> dict[str, list[dict]]:
	"""``parent → rows`` of one child table for every record of ``parent_doctype`` (one query), in idx
	order; ``parent`` is taken out of each row."""
	rows = frappe.get_all(
		child_doctype,
		filters={"parenttype": parent_doctype},
		fields=["parent", *fields],
		order_by="parent asc, idx asc",
	)
	grouped: dict[str, list[dict]] = defaultdict(list)
	for row in rows:
		grouped[row.pop("parent")].append(row)
	return grouped


# --- time: Frappe stores naive datetimes in the system time zone; the pure core wants aware UTC -----------


def to_utc(value) -> datetime | None:
	"""A Datetime value as Frappe stores it (naive, in the system time zone; or its text) → aware UTC. An
	aware datetime is converted; an empty value is None."""
	return times.to_utc(get_datetime(value), get_system_timezone()) if value else None


def from_utc(value: datetime | None) -> datetime | None:
	"""An aware datetime → the naive system-zone value a Datetime field stores (None stays None; a naive
	one is refused: its zone is unknown)."""
	return times.to_local_naive(value, get_system_timezone())


def utc_now(now=None) -> datetime:
	"""Now as an aware UTC datetime; ``now`` (a stored or aware value) stands in for it when given."""
	return to_utc(now) if now is not None else datetime.now(timezone.utc)
