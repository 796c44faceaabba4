"""``check-pbx``: compare what the site needs with what the live PBX has, over AMI, and say it in plain
lines. Pure: ``gather`` speaks to any session with ``action`` / ``action_list`` (the desk's blocking
``AmiSession``), ``findings`` compares.

What is checked:
- AMI permissions: every action the bridge, the dialer and the desk send is in ``ListCommands`` (which
  lists only what the manager user's read/write classes allow);
- the contexts render-asterisk writes are loaded (``ShowDialPlan``), and the provider endpoint ``trunk``;
- every CC Call Queue is an Asterisk queue (``QueueStatus``);
- every announcement and prompt the routes play exists as a file Asterisk can play (``STAT(e,…)`` on
  ``<ASTDATADIR>/sounds[/<language>]/<sound>.<format>``, read with ``Getvar``);
- PJSIP endpoints match the enabled CC SIP Accounts (missing ones are errors, extra ones notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTEXTS = (
	"cc-inbound",
	"cc-agents",
	"cc-transfer",
	"cc-supervisor",
	"cc-autoanswer",
	"cc-dialer",
	"cc-internal",
)
ACTIONS = (
	"Atxfer",
	"BlindTransfer",
	"CoreShowChannels",
	"Getvar",
	"Originate",
	"PJSIPShowContacts",
	"PJSIPShowEndpoints",
	"QueueAdd",
	"QueuePause",
	"QueuePenalty",
	"QueueRemove",
	"QueueStatus",
	"Redirect",
	"ShowDialPlan",
)
# The manager.conf classes the app needs (checked on the PBX lab): the bridge reads VarSet and Newexten
# (dialplan: CC_ROUTE, CC_QUEUE, …), Cdr (cdr) and AGIExecStart (agi: the route server's EXEC VoiceMail);
# check-pbx sends Command (core show sound).
MANAGER_READ = "system,call,agent,user,config,reporting,originate,dialplan,cdr,agi"
MANAGER_WRITE = "system,call,agent,originate,reporting,command"
SOUND_FORMATS = ("wav", "sln", "sln16", "gsm", "ulaw", "alaw", "g722")


@dataclass(frozen=True)
class Expected:
	queues: tuple[str, ...] = ()
	sounds: tuple[str, ...] = ()  # "custom/cc-welcome"
	endpoints: tuple[str, ...] = ()  # enabled CC SIP Accounts
	contexts: tuple[str, ...] = CONTEXTS
	actions: tuple[str, ...] = ACTIONS
	language: str = "en"


@dataclass
class Facts:
	actions: set[str] | None = None  # None: could not be listed
	contexts: dict[str, bool] = field(default_factory=dict)
	queues: set[str] | None = None
	endpoints: set[str] | None = None
	sounds: dict[str, bool | None] = field(default_factory=dict)  # None: could not be checked
	problems: list[str] = field(default_factory=list)  # actions that failed, with Asterisk's message


@dataclass(frozen=True)
class Finding:
	ok: bool
	what: str
	name: str
	message: str

	def line(self) -> str:
		return f"{'ok     ' if self.ok else 'MISSING'} {self.what:<10} {self.name}: {self.message}"


def gather(session, expected: Expected, errors=(Exception,)) -> Facts:
	"""Ask the PBX. ``errors``: the exception types an action may raise when refused (AmiActionError)."""
	facts = Facts()

	def attempt(label, call):
		try:
			return call()
		except errors as e:
			facts.problems.append(f"{label}: {e}")
			return None

	listed = attempt("ListCommands", lambda: session.action("ListCommands"))
	if listed is not None:
		facts.actions = {k for k in listed if k not in ("Response", "ActionID", "Message")}
	for context in expected.contexts:
		try:
			session.action_list("ShowDialPlan", {"Context": context})
			facts.contexts[context] = True
		except errors as e:
			facts.contexts[context] = False
			if "not find" not in str(e).lower():
				facts.problems.append(f"ShowDialPlan {context}: {e}")
	status = attempt("QueueStatus", lambda: session.action_list("QueueStatus"))
	if status is not None:
		facts.queues = {e.get("Queue", "") for e in status if e.get("Event") == "QueueParams"}
	endpoints = attempt("PJSIPShowEndpoints", lambda: session.action_list("PJSIPShowEndpoints"))
	if endpoints is not None:
		facts.endpoints = {e.get("ObjectName", "") for e in endpoints if e.get("Event") == "EndpointList"}
	if expected.sounds:
		data_dir = attempt("Getvar ASTDATADIR", lambda: session.action("Getvar", {"Variable": "ASTDATADIR"}))
		base = (data_dir or {}).get("Value") or ""
		for sound in expected.sounds:
			facts.sounds[sound] = (
				_sound_exists(session, base, sound, expected.language, errors) if base else None
			)
	return facts


def _sound_exists(session, data_dir: str, sound: str, language: str, errors) -> bool | None:
	"""STAT(e,…) on each place Playback looks; Asterisk refuses STAT over AMI unless asterisk.conf has
	live_dangerously=yes (it is a "dangerous" function), so then ask the CLI's sound index instead."""
	if data_dir:
		try:
			for folder in (f"{data_dir}/sounds/{language}", f"{data_dir}/sounds"):
				for fmt in SOUND_FORMATS:
					answer = session.action("Getvar", {"Variable": f"STAT(e,{folder}/{sound}.{fmt})"})
					value = str(answer.get("Value", "")).strip()
					if value == "1":
						return True
					if value != "0":
						# Asterisk 22 answers a refused STAT() with Success and an empty value (it logs
						# "Dangerous function STAT read blocked"), not with an error
						return _indexed(session, sound, errors)
			return False
		except errors:
			pass
	return _indexed(session, sound, errors)


def _indexed(session, sound: str, errors) -> bool | None:
	"""``core show sound`` (the AMI user needs the 'command' right). Asterisk's index takes every folder
	under sounds/ for a language: sounds/en/custom/x is "custom/x" in language en, sounds/custom/x is "x"
	in "language" custom."""

	def show(name: str) -> str:
		try:
			return str(session.action("Command", {"Command": f"core show sound {name}"}).get("Output", ""))
		except errors as e:
			# Asterisk 22 answers a sound not in the index with Response: Error, "Command output follows"
			# (the CLI command ran and failed); a refused action says "Permission denied"
			if "output follows" in str(e).lower():
				return ""
			raise

	try:
		if "Indexed Information for" in show(sound):
			return True
		folder, _, base = sound.rpartition("/")
		return bool(folder) and f"Language {folder}:" in show(base)
	except errors:
		return None


def findings(expected: Expected, facts: Facts) -> list[Finding]:
	out: list[Finding] = []
	if facts.actions is None:
		out.append(
			Finding(False, "permission", "ListCommands", "cannot list the AMI actions this user may send")
		)
	else:
		missing = [a for a in expected.actions if a not in facts.actions]
		out.append(
			Finding(
				not missing,
				"permission",
				"AMI user",
				"may send every action the app uses"
				if not missing
				else f"may not send {', '.join(missing)}: give the user read = {MANAGER_READ} and write = "
				f"{MANAGER_WRITE} in manager.conf",
			)
		)
	for context in expected.contexts:
		loaded = facts.contexts.get(context)
		out.append(
			Finding(
				bool(loaded),
				"context",
				context,
				"loaded"
				if loaded
				else "not in the dialplan: load render-asterisk's extensions.conf (#include it) and reload",
			)
		)
	if facts.endpoints is None:
		out.append(Finding(False, "endpoint", "PJSIP", "cannot list endpoints (is res_pjsip loaded?)"))
	else:
		out.append(
			Finding(
				"trunk" in facts.endpoints,
				"endpoint",
				"trunk",
				"the provider trunk exists"
				if "trunk" in facts.endpoints
				else "no PJSIP endpoint named 'trunk': forwards, click-to-call and the dialer dial PJSIP/<number>@trunk",
			)
		)
		for name in expected.endpoints:
			there = name in facts.endpoints
			out.append(
				Finding(
					there,
					"endpoint",
					name,
					"matches its CC SIP Account"
					if there
					else "CC SIP Account with no PJSIP endpoint: render-asterisk and reload res_pjsip",
				)
			)
		for name in sorted(facts.endpoints - set(expected.endpoints) - {"trunk"}):
			out.append(Finding(True, "endpoint", name, "on the PBX but not a CC SIP Account (note only)"))
	if facts.queues is None:
		out.append(Finding(False, "queue", "QueueStatus", "cannot list queues (is app_queue loaded?)"))
	else:
		for queue in expected.queues:
			there = queue in facts.queues
			out.append(
				Finding(
					there,
					"queue",
					queue,
					"exists"
					if there
					else "not an Asterisk queue: callers sent there are dropped; render-asterisk and reload app_queue",
				)
			)
	for sound in expected.sounds:
		state = facts.sounds.get(sound)
		message = {
			True: "playable",
			False: "no such sound file on the PBX: render-asterisk --sounds-dir <Asterisk's sounds folder>",
			None: "could not be checked: allow the AMI user 'command' (core show sound) or STAT (live_dangerously)",
		}[state]
		out.append(Finding(bool(state), "sound", sound, message))
	for problem in facts.problems:
		out.append(Finding(False, "ami", "error", problem))
	return out
