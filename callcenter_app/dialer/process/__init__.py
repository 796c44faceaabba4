"""The dialer process.

- ``loop.py`` (pure): :class:`~callcenter_app.dialer.process.loop.DialerProcess`, one AMI connection, a
  tick per campaign, a durable spool of results, and the :class:`~callcenter_app.dialer.process.loop.Store`
  it writes through.
- ``service.py`` (Frappe): the store on a site's records (``SiteStore``).
"""
