"""Asterisk bridge: routing, FastAGI, AMI and config rendering (pure), plus the Frappe glue in service.py."""
