"""CC Call Log writes (Frappe glue): the AMI bridge's call records upserted, each in its own savepoint, then
calls → tickets and the wallboard's today. The record → values mapping is pure, in ``telephony/ami/call_log.py``.
"""
