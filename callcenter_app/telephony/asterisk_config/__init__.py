"""Asterisk configuration rendered from the call center's records (pure; see render.py)."""
