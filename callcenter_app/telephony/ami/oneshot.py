"""A short, blocking AMI session for actions from the desk: connect, log in with events off, send a few
actions, log off. Pure (no Frappe).

Desk requests (click-to-call, transfer, queue login, listen-in) need one or two actions and an answer
within a request; they must not depend on the bridge process being up, and the bridge's connection lives
in another process anyway. Each request opens its own session: Asterisk handles hundreds of manager
logins a second, and a desk action is a human click. ``Events: off`` keeps the session from receiving
the event stream.
"""

from __future__ import annotations

import socket
import time

from callcenter_app.telephony.ami.client import AmiActionError, AmiAuthError, AmiConfig, AmiError
from callcenter_app.telephony.ami.protocol import FrameParser, encode_action, next_action_id
from callcenter_app.telephony.tenant import Tenant


class AmiSession:
	def __init__(self, config: AmiConfig, timeout: float | None = None):
		self.config = config
		self.timeout = timeout if timeout is not None else min(config.timeout, 10.0)
		self._sock: socket.socket | None = None
		self._parser = FrameParser()
		self._pending: list[dict] = []
		self.tenant = Tenant(config.tenant)  # the site's names on a shared PBX (telephony/tenant.py)

	def __enter__(self) -> AmiSession:
		try:
			self._sock = socket.create_connection((self.config.host, self.config.port), self.timeout)
		except OSError as e:
			raise AmiError(f"cannot reach Asterisk at {self.config.host}:{self.config.port}: {e}") from None
		self._sock.settimeout(self.timeout)
		try:
			self.action(
				"Login", {"Username": self.config.username, "Secret": self.config.secret, "Events": "off"}
			)
		except AmiActionError as e:
			self.close()
			raise AmiAuthError(
				f"AMI login refused for user {self.config.username!r} at {self.config.host}:{self.config.port}: "
				f"{str(e).split(': ', 1)[-1]}. Check CC Settings (AMI Username/Secret) and manager.conf."
			) from None
		except BaseException:
			self.close()
			raise
		return self

	def __exit__(self, *exc) -> None:
		if self._sock is not None:
			try:
				self._sock.sendall(encode_action("Logoff", {"ActionID": next_action_id("bye")}))
			except OSError:
				pass
		self.close()

	def close(self) -> None:
		if self._sock is not None:
			self._sock.close()
			self._sock = None

	def action(self, name: str, fields: dict | None = None, variables: dict | None = None) -> dict:
		"""Send one action and return its response; an Error response raises AmiActionError."""
		action_id = next_action_id("desk")
		fields, variables = self.tenant.outgoing(name, fields, variables)
		self._send(encode_action(name, {"ActionID": action_id, **fields}, variables))
		response = self._until(lambda m: m.get("ActionID") == action_id and "Event" not in m)
		if response.get("Response") == "Error":
			raise AmiActionError(f"{name}: {response.get('Message', 'error')}")
		return response

	def action_list(self, name: str, fields: dict | None = None) -> list[dict]:
		"""An action answered by a list of events ending in ``…Complete``: the events of the list."""
		action_id = next_action_id("desk")
		fields, _ = self.tenant.outgoing(name, fields)
		self._send(encode_action(name, {"ActionID": action_id, **fields}))
		first = self._until(lambda m: m.get("ActionID") == action_id)
		if first.get("Response") == "Error":
			raise AmiActionError(f"{name}: {first.get('Message', 'error')}")
		items = [] if "Response" in first and "Event" not in first else [first]
		while True:
			if items and items[-1].get("Event", "").endswith("Complete"):
				return self.tenant.own_list(items[:-1])
			items.append(self._until(lambda m: m.get("ActionID") == action_id))

	def _send(self, data: bytes) -> None:
		if self._sock is None:
			raise AmiError("not connected")
		try:
			self._sock.sendall(data)
		except OSError as e:
			raise AmiError(f"Asterisk connection lost: {e}") from None

	def _until(self, wanted) -> dict:
		deadline = time.monotonic() + self.timeout
		while True:
			for i, message in enumerate(self._pending):
				if wanted(message):
					return self._pending.pop(i)
			if len(self._pending) > 10_000:  # events we did not ask for: drop them, keep the session
				self._pending = self._pending[-100:]
			remaining = deadline - time.monotonic()
			if remaining <= 0 or self._sock is None:
				raise AmiError("Asterisk did not answer in time")
			self._sock.settimeout(remaining)
			try:
				data = self._sock.recv(1 << 16)
			except TimeoutError:
				raise AmiError("Asterisk did not answer in time") from None
			except OSError as e:
				raise AmiError(f"Asterisk connection lost: {e}") from None
			if not data:
				raise AmiError("Asterisk closed the connection")
			self._pending.extend(self._parser.feed(data))
