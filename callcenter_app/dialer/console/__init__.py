"""The operator console.

- ``rules.py`` (pure): the current contact, outcome / transfer / pause rules (a preview dial's do-not-call
  and calling-window rules are ``dialer/manual.preview_refusal``).
- ``service.py`` (Frappe): what the console's glue shares — who may use it, refusals, the realtime event;
  ``campaigns/service.py`` (join / leave), ``phone/service.py`` (presence, pause / resume),
  ``contacts/service.py`` (the current contact and its lists), ``calls/service.py`` (preview, calls that
  reached the operator, outcomes, transfers' hand-over). Endpoints in ``api/console.py``.
"""
