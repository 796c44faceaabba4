"""Field agents' geography: points and distances, travel times, appointment feasibility, slot suggestions,
a spatial index, geocoding and iCalendar feeds. Pure Python: nothing here imports Frappe except service.py."""
