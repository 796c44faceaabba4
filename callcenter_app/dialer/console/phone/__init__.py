"""The console's phone state (Frappe glue): presence, pause and resume in a work mode."""
