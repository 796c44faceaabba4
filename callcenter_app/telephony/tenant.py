"""Several call centers on one Asterisk: each site's Asterisk objects carry its tenant prefix.

A site with CC Settings' tenant prefix ``ta`` owns, on the shared PBX, the endpoints/auths/aors
``ta-<username>``, the queues ``ta-<queue>``, the contexts ``ta-cc-inbound``, ``ta-cc-agents``, … and its
trunk ``ta-trunk``; its dialplan sets the inherited channel variable ``CC_TENANT=ta`` on every call it
handles. An empty prefix is a site alone on its PBX: every name is exactly today's and nothing is filtered.

The rest of the app never sees a prefix. ``Tenant`` translates at the one door to Asterisk (the AMI client
and the one-shot session, ``ami/client.py`` and ``ami/oneshot.py``; the route server's Queue/Dial/VoiceMail):

- ``outgoing(action)``: the site's names become the PBX's (``PJSIP/ann`` → ``PJSIP/ta-ann``, ``Sales`` →
  ``ta-Sales``, ``cc-agents`` → ``ta-cc-agents``, ``PJSIP/+3312@trunk`` → ``PJSIP/+3312@ta-trunk``) and an
  Originate carries ``__CC_TENANT``. Extensions stay local: each site's contexts are its own, so
  ``listen-ann`` in ``ta-cc-supervisor`` spies on ``PJSIP/ta-ann``.
- ``incoming(event)``: the PBX's names become the site's (the prefix stripped), so call records, queue
  statistics, the wallboard and presence name queues and accounts as the desk knows them.
- ``EventScope.feed(event)`` decides whose an event is (below) and drops every other site's.
- ``own_list(events)``: the same for a snapshot (CoreShowChannels, QueueStatus, PJSIPShowContacts).

Whose is an event (the rule, prefix ``ta``):

1. A *mark* is a name of ours: a Context/DestContext/…Context ``ta-…``, a Queue ``ta-…``, a channel or
   interface of an endpoint ``ta-…`` (``PJSIP/ta-ann-00000012``, ``PJSIP/+33@ta-trunk-…``,
   ``Local/ann@ta-cc-agents-…``), an Endpoint/AOR ``ta-…``, or the variable CC_TENANT set to ``ta``. A
   *foreign mark* is CC_TENANT set to something else, or a context ``<p>-cc-…`` with another prefix ``p``
   (every generated context is ``<prefix>-cc-…``).
2. Events of a call (a Linkedid): the call is ours from its first mark of ours on, foreign from its first
   foreign mark on (whichever comes first wins; a later contradicting mark is counted in ``conflicts``).
   Until either, its events are held, in order; when it becomes ours they are delivered, when it
   becomes foreign, or all its channels hang up unmarked (a trunk call that never entered any site's
   context), they are dropped: an unmarked event never creates a record in any site.
   A Cdr (no Linkedid) follows its channel's call.
3. Events of no call (queue members, registrations, device states): ours when one of their names is
   ours, dropped otherwise. A bridge's own events (BridgeCreate/Merge/Destroy name no channel) follow
   the calls that entered it: ours once a channel of ours entered it, dropped otherwise (so a
   BridgeCreate, which comes before anyone enters, reaches no site in a shared PBX; the app uses none of
   them). FullyBooted and other events that name nothing reach every site.

Pure: no Frappe, no I/O.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from callcenter_app.common import validators

# an event's fields that name Asterisk objects, by kind
_CHANNEL_KEYS = ("Channel", "Interface", "Location", "Device", "Peer", "MemberName")
_NAME_KEYS = frozenset({"Queue", "Endpoint", "EndpointName", "AOR", "ObjectName"})
_APP_DATA_KEYS = ("AppData", "ApplicationData", "Data", "LastData")
_TEXT_KEYS = ("DialString", "Value", "Command")  # free text that may name channels (BRIDGEPEER, AGI, Dial)
_GENERATED_CONTEXT = re.compile(r"^([a-z][a-z0-9]{0,11})-cc-")
# a channel or dial string: tech/resource[@context-or-endpoint][-suffix]
_TECH = re.compile(r"^(PJSIP|SIP|IAX2|Local|DAHDI)/([^@&,]*)(?:@([^&,]*))?$", re.IGNORECASE)
_HELD_PER_CALL = 2_000
_HELD_CALLS = 5_000
_REMEMBERED = 50_000


def check_prefix(value: str | None, field: str = "tenant_prefix") -> str:
	"""The prefix, or FieldError (``common.validators.tenant_prefix``: 1-12 lowercase letters/digits)."""
	return validators.tenant_prefix(field, value)


def _var_name(name: str) -> str:
	return name.lstrip("_")


@dataclass(frozen=True)
class Tenant:
	prefix: str = ""

	def __post_init__(self):
		check_prefix(self.prefix)

	@property
	def sep(self) -> str:
		return f"{self.prefix}-" if self.prefix else ""

	# --- the site's names → the PBX's -------------------------------------------------------------------
	def name(self, local: str) -> str:
		"""An endpoint, queue, context or trunk named as on the PBX."""
		return f"{self.sep}{local}" if local else local

	def sound(self, local: str) -> str:
		"""An announcement of the app (``custom/cc-welcome``) as the site's file on a shared PBX
		(``custom/ta-cc-welcome``); other sounds (Asterisk's own) are shared and stay as they are."""
		if self.prefix and local.startswith("custom/cc-"):
			return f"custom/{self.sep}{local[len('custom/') :]}"
		return local

	def channel(self, local: str) -> str:
		"""``PJSIP/ann`` → ``PJSIP/ta-ann``; ``PJSIP/ann-0000000a`` → ``PJSIP/ta-ann-0000000a``;
		``PJSIP/+3312@trunk`` → ``PJSIP/+3312@ta-trunk``; ``Local/ann@cc-agents/n`` → ``Local/ann@ta-cc-agents/n``."""
		if not self.prefix or not local:
			return local
		m = _TECH.match(local)
		if not m:
			return local
		tech, resource, at = m.groups()
		if tech.lower() == "local":
			if at is None:
				return local
			return f"{tech}/{resource}@{self.sep}{at}"
		if at is not None:  # a number at an endpoint (a trunk)
			return f"{tech}/{resource}@{self.sep}{at}"
		return f"{tech}/{self.sep}{resource}"

	def outgoing(
		self, action: str, fields: dict | None, variables: dict | None = None
	) -> tuple[dict, dict | None]:
		"""An AMI action's fields and variables with the PBX's names."""
		if not self.prefix:
			return fields or {}, variables
		out = dict(fields or {})
		for key, value in list(out.items()):
			if not isinstance(value, str) or not value:
				continue
			if key.endswith("Context"):
				out[key] = self.name(value)
			elif key.endswith("Channel") or key in ("Interface", "StateInterface"):
				out[key] = self.channel(value)
			elif key == "Queue":
				out[key] = self.name(value)
		if action.lower() == "originate":
			variables = {**(variables or {}), "__CC_TENANT": self.prefix}
		return out, variables

	# --- the PBX's names → the site's -------------------------------------------------------------------
	def local(self, name: str) -> str | None:
		"""The site's name for a prefixed name, None for a name that is not ours."""
		if not self.prefix:
			return name
		return name[len(self.sep) :] if name.startswith(self.sep) else None

	def local_channel(self, name: str) -> str | None:
		"""The site's name of a channel or interface of ours, None when it is not ours (a device state's
		``Queue:ta-sales_avail`` too)."""
		if not self.prefix:
			return name
		if name.startswith("Queue:"):
			bare = self.local(name[len("Queue:") :])
			return None if bare is None else f"Queue:{bare}"
		m = _TECH.match(name or "")
		if not m:
			return None
		tech, resource, at = m.groups()
		if tech.lower() != "local" and at is None:
			bare = self.local(resource)
			return None if bare is None else f"{tech}/{bare}"
		if at is None:
			return None
		bare = self.local(at)
		return None if bare is None else f"{tech}/{resource}@{bare}"

	def _app_data(self, app: str, data: str) -> str:
		if app.lower() == "queue" and data:
			first, _, rest = data.partition(",")
			bare = self.local(first)
			data = (bare if bare is not None else first) + ("," + rest if _ else "")
		return re.sub(
			r"(PJSIP|Local)/([^,&)\s]+)",
			lambda m: self.local_channel(m.group(0)) or m.group(0),
			data,
		)

	def incoming(self, event: dict) -> dict:
		"""The event with the site's names (names of others left as they are)."""
		if not self.prefix:
			return event
		out = dict(event)
		for key, value in event.items():
			if not isinstance(value, str) or not value:
				continue
			if key.endswith("Context") or key in _NAME_KEYS:
				bare = self.local(value)
			elif key.endswith(_CHANNEL_KEYS) or key == "StateInterface":
				bare = self.local_channel(value)
			elif key in _APP_DATA_KEYS:
				app = event.get("Application") or event.get("LastApplication") or ""
				bare = self._app_data(app, value)
			elif key in _TEXT_KEYS and "/" in value:
				bare = self._app_data("", value)
			else:
				continue
			if bare is not None:
				out[key] = bare
		return out

	# --- whose is it ------------------------------------------------------------------------------------
	def mark(self, event: dict) -> str:
		"""``"own"``, ``"foreign"`` or ``""`` (no mark) for one event (rule 1 of the module doc)."""
		if not self.prefix:
			return "own"
		own = foreign = False
		for key, value in event.items():
			if not isinstance(value, str) or not value:
				continue
			if key.endswith("Context"):
				if value.startswith(self.sep):
					own = True
				elif _GENERATED_CONTEXT.match(value):
					foreign = True
			elif key in _NAME_KEYS:
				own = own or value.startswith(self.sep)
			elif key.endswith(_CHANNEL_KEYS) or key == "StateInterface":
				own = own or self.local_channel(value) is not None
		name = event.get("Variable")
		if name and _var_name(name) == "CC_TENANT" and event.get("Value"):
			if event["Value"] == self.prefix:
				own = True
			else:
				return "foreign"  # the dialplan's own word beats a name
		if own:
			return "own"
		return "foreign" if foreign else ""

	def own_list(self, events: Iterable[dict]) -> list[dict]:
		"""A snapshot's events that are ours, with the site's names: entries of a call (Linkedid) go
		together, ours when any of them is marked ours; entries of no call by their own names."""
		events = list(events)
		if not self.prefix:
			return events
		calls: dict[str, str] = {}
		for e in events:
			linkedid = e.get("Linkedid")
			if linkedid:
				m = self.mark(e)
				if calls.get(linkedid, "") == "" and m:
					calls[linkedid] = m
		out = []
		for e in events:
			linkedid = e.get("Linkedid")
			whose = calls.get(linkedid, "") if linkedid else self.mark(e)
			if whose == "own":
				out.append(self.incoming(e))
		return out


class EventScope:
	"""The live event stream of one site (rules 2 and 3 of the module doc): ``feed(event)`` returns the
	events to deliver now, with the site's names (none, one, or a held call's events at once)."""

	def __init__(self, tenant: Tenant):
		self.tenant = tenant
		self.owner: OrderedDict[str, str] = OrderedDict()  # linkedid → "own" | "foreign"
		self.call_of: OrderedDict[str, str] = OrderedDict()  # uniqueid → linkedid
		self.held: OrderedDict[str, list[dict]] = OrderedDict()  # linkedid → events of an unmarked call
		self.live: dict[str, set[str]] = {}  # linkedid → its unmarked call's channels not hung up
		self.bridges: OrderedDict[str, str] = OrderedDict()  # BridgeUniqueid → "own" once one of ours entered
		self.delivered = self.dropped = self.conflicts = 0

	def feed(self, event: dict) -> list[dict]:
		t = self.tenant
		if not t.prefix:
			return [event]
		linkedid = event.get("Linkedid") or ""
		uniqueid = event.get("Uniqueid") or event.get("UniqueID") or ""
		if not linkedid and uniqueid:
			linkedid = self.call_of.get(uniqueid, "")
		if not linkedid:
			return self._no_call(event)
		if uniqueid:
			_remember(self.call_of, uniqueid, linkedid)
		mark = t.mark(event)
		known = self.owner.get(linkedid)
		if known:
			if mark and mark != known:
				self.conflicts += 1
			return self._out(known, [event])
		if mark:
			_remember(self.owner, linkedid, mark)
			held = self.held.pop(linkedid, [])
			self.live.pop(linkedid, None)
			return self._out(mark, [*held, event])
		return self._hold(linkedid, uniqueid, event)

	def _no_call(self, event: dict) -> list[dict]:
		bridges = [
			v for k, v in event.items() if k.endswith("BridgeUniqueid") and v
		]  # BridgeMerge: To…/From…
		if bridges:
			own = any(self.bridges.get(b) == "own" for b in bridges)
			return self._out("own" if own else "foreign", [event])
		mark = self.tenant.mark(event)
		names = any(
			isinstance(v, str)
			and v
			and (
				k.endswith("Context") or k in _NAME_KEYS or k.endswith(_CHANNEL_KEYS) or k == "StateInterface"
			)
			for k, v in event.items()
		)
		if mark == "own" or (not names and event.get("Variable") is None):
			return self._out("own", [event])
		return self._out("foreign", [event])

	def _hold(self, linkedid: str, uniqueid: str, event: dict) -> list[dict]:
		events = self.held.setdefault(linkedid, [])
		live = self.live.setdefault(linkedid, set())
		name = event.get("Event")
		if name == "Hangup":
			live.discard(uniqueid)
			if not live:  # every channel it had hung up and none ever entered a site's context
				self.dropped += len(self.held.pop(linkedid)) + 1
				self.live.pop(linkedid, None)
				_remember(self.owner, linkedid, "foreign")
				return []
		elif uniqueid:
			live.add(uniqueid)
		if len(events) >= _HELD_PER_CALL:
			self.dropped += 1
			return []
		events.append(event)
		while len(self.held) > _HELD_CALLS:
			old, dropped = self.held.popitem(last=False)
			self.live.pop(old, None)
			self.dropped += len(dropped)
		return []

	def _out(self, whose: str, events: list[dict]) -> list[dict]:
		if whose != "own":
			self.dropped += len(events)
			return []
		self.delivered += len(events)
		for e in events:
			if e.get("BridgeUniqueid") and e.get("Event") == "BridgeEnter":
				_remember(self.bridges, e["BridgeUniqueid"], "own")
		return [self.tenant.incoming(e) for e in events]


def _remember(table: OrderedDict, key: str, value: str) -> None:
	table[key] = value
	table.move_to_end(key)
	while len(table) > _REMEMBERED:
		table.popitem(last=False)


ALONE = Tenant()  # a site alone on its PBX: every name as it is
