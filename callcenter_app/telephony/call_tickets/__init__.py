"""Calls → tickets.

- ``rules.py`` (pure): which calls make or join a ticket, and what the ticket's timeline says.
- ``service.py`` (Frappe): applies them after the CC Call Log upsert, finds the caller's Contact.
"""
