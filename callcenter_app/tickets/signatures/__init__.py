"""Signatures on agents' outgoing messages.

- ``rules.py`` (pure): which signature applies, what an outgoing message is (new, reply, forward), the
  signature block and how it goes into an email, the logo check.
- ``service.py`` (Frappe): the Communication and Email Queue ``before_insert`` hooks.
"""
