"""Desk notifications: ``rules.py`` (pure) decides who hears of what, ``service.py`` sends them through Frappe's
Notification Log, each kind switchable per user in Notification Settings."""
