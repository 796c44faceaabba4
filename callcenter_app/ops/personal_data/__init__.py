"""Personal data requests (Frappe glue): Frappe's deletion and download requests extended to a contact's calls,
SMS, recordings, call-list rows and appointments. What is redacted is decided in the pure ``ops/privacy.py``.
"""
