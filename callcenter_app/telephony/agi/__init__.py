"""FastAGI route server (pure asyncio; no Frappe). See server.py."""
