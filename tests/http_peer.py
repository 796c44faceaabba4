"""A real HTTP server on loopback for the geo tests: ``serve(handler_fn)`` answers each GET with what
``handler_fn(path, query) -> (status, body, delay_s)`` returns and records the requests it saw."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@contextmanager
def serve(answer):
	seen: list[tuple[str, dict]] = []

	class Handler(BaseHTTPRequestHandler):
		def do_GET(self):
			parts = urlsplit(self.path)
			query = {k: v[0] for k, v in parse_qs(parts.query).items()}
			seen.append((parts.path, query | {"_user_agent": self.headers.get("User-Agent", "")}))
			status, body, delay = answer(parts.path, query)
			if delay:
				time.sleep(delay)
			data = body if isinstance(body, bytes) else json.dumps(body).encode()
			try:
				self.send_response(status)
				self.send_header("Content-Type", "application/json")
				self.send_header("Content-Length", str(len(data)))
				self.end_headers()
				self.wfile.write(data)
			except OSError:
				pass  # the client gave up (a timeout test)

		def log_message(self, *args):
			pass

	server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
	server.daemon_threads = True
	thread = threading.Thread(target=server.serve_forever, daemon=True)
	thread.start()
	try:
		yield f"http://127.0.0.1:{server.server_address[1]}", seen
	finally:
		server.shutdown()
		server.server_close()


def closed_port_url() -> str:
	"""An address on loopback where nothing listens (connection refused)."""
	import socket

	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return f"http://127.0.0.1:{port}"
