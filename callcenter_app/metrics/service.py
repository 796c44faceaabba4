"""Frappe glue for the metrics: the QoS parameters of call queues, from their own fields and CC Settings."""

from __future__ import annotations

from collections.abc import Iterable

import frappe
from frappe import _

from callcenter_app.common.errors import FieldError
from callcenter_app.metrics.qos import QosParams, queue_params
from callcenter_app.utils import throw_field_errors

QUEUE = "CC Call Queue"
QOS_FIELDS = ("qos_reference_wait", "qos_limit_wait", "qos_early_factor")


def default_params() -> QosParams:
	"""The call center's QoS defaults (CC Settings), used by queues that leave a wait time at 0."""
	settings = frappe.get_cached_doc("CC Settings")
	try:
		return QosParams(
			reference_wait_s=float(settings.qos_reference_wait or 0),
			limit_wait_s=float(settings.qos_limit_wait or 0),
			early_factor=float(settings.qos_early_factor or 0),
		)
	except ValueError as e:
		reason = str(e)
	frappe.throw(
		_("The QoS defaults in CC Settings are not valid ({0}); correct them first").format(reason),
		frappe.ValidationError,
		title=_("Invalid QoS defaults"),
	)


def params_for_queues(names: Iterable[str]) -> dict[str, QosParams]:
	"""Each named queue's QoS parameters; a name that is not a CC Call Queue (a queue defined only in
	Asterisk, or deleted since) gets the defaults. A queue whose fields no longer make sense with the
	current defaults is refused, naming the queue and the field."""
	defaults = default_params()
	names = sorted({n for n in names if n})
	out = dict.fromkeys(names, defaults)
	if not names:
		return out
	refused: tuple[str, FieldError] | None = None
	for queue in frappe.get_all(QUEUE, filters={"name": ["in", names]}, fields=["name", *QOS_FIELDS]):
		try:
			out[queue.name] = queue_params(
				queue.qos_reference_wait, queue.qos_limit_wait, queue.qos_early_factor, defaults
			)
		except FieldError as e:
			refused = (queue.name, e)
			break
	if refused:
		name, error = refused
		throw_field_errors(QUEUE, [error], title=_("Invalid QoS parameters"), record=name)
	return out
