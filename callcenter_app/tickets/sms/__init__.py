"""SMS on tickets.

- ``adapters.py`` (pure): provider webhooks behind one adapter interface (generic shared token, Twilio
  signature), message values and delivery statuses, the settings' rules, reply text and segments.
- ``service.py`` (Frappe): the webhook's work (CC SMS Message, ticket, grouping), sending replies, delivery
  reports.
"""
