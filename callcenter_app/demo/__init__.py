"""A demo call center for a new site: `bench --site SITE callcenter demo` (service.py says what it makes)."""
