"""Field agents and appointments (issue 15).

- ``rules.py`` (pure): reading Frappe's Geolocation values (GeoJSON), checking a field agent's settings, which
  fields a field agent may change on an appointment, the calendar-feed token;
- ``service.py`` (Frappe glue): booking under a lock on the agent's row, geocoding with the persistent cache,
  suggestions, reassignment, the day view, the iCal feed, the permission hooks.

The scheduling engine (points, travel, feasibility, suggestions, geocoding, iCal) is the ``geo`` package.
"""
