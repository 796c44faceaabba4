"""The operator console.

- ``rules.py`` (pure): the current contact, outcome / transfer / pause rules, what a preview dial needs.
- ``*service.py`` (Frappe): the glue, one file per concern (see the dialer README); endpoints in
  ``api/console.py``.
"""
