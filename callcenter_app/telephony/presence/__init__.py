"""Agent presence and the live notices the AMI bridge passes on to the desk.

- ``modes.py`` (pure): work modes → Asterisk queue memberships.
- ``notices.py`` (pure): SIP registrations and ring notices (the incoming-call popup).
- ``service.py`` (Frappe): log in / out, work modes, the status log, queue members and campaign seats.
The bridge's notices are published by ``telephony/notices/service.py`` (Frappe: popups to the agent rung,
registrations to the cache the PBX Agents report reads, wallboard notices).
"""
