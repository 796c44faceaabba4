"""Tickets: sources and keyword filters, automatic distribution, SLA clocks, snooze and grouping. Pure.

The module map is in ``README.md`` beside this file; the Frappe side is ``service.py`` (one per area).
"""
