"""Asterisk Manager Interface: wire protocol, call state machine, spool and client (pure, no Frappe)."""
