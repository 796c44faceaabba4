"""Framework-free helpers shared by the engines: field errors, value validators, phone numbers."""
