"""The bridge's notices in the desk (Frappe glue): incoming-call popups to the agent rung, SIP registrations
to the cache the PBX Agents report reads, wallboard notices to its aggregator. The rules are pure, in
``telephony/presence/notices.py``.
"""
