"""Whitelisted endpoints, grouped by area. Every endpoint checks permission first."""
