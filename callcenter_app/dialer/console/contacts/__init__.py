"""The console's contact card (Frappe glue): the contact, its attempts, calls, callbacks and open tickets."""
