"""Outbound dialer engine (pure Python): calling windows, the hopper, pacing strategies and a simulator.

See README.md in this folder for the module map.
"""
