"""Errors raised by the functional core.

The core never talks to Frappe; it raises :class:`FieldError` naming the field and the reason, and the
Frappe shell turns that into ``frappe.throw`` with the field's label.
"""

from __future__ import annotations


class FieldError(ValueError):
	"""A value that cannot be accepted: ``field`` names it, ``reason`` says why in one sentence."""

	def __init__(self, field: str, reason: str):
		self.field = field
		self.reason = reason
		super().__init__(f"{field}: {reason}")


def collect(*checks) -> list[FieldError]:
	"""Run zero-argument callables and return the FieldErrors they raise, in order."""
	errors: list[FieldError] = []
	for check in checks:
		try:
			check()
		except FieldError as e:
			errors.append(e)
	return errors
