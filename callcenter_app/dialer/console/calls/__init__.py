"""The console's calls (Frappe glue): next preview contact, the Call button's checks, taking a connected call,
outcomes, skip and hand-over. The rules are pure, in ``dialer/console/rules.py`` and ``dialer/manual.py``.
"""
