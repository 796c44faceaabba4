"""Who may do what: the roles of the product and the named capabilities, in one place (pure).

Every role check in the app asks for a *capability* (``SUPERVISE_CALLS``, ``MANAGE_CAMPAIGNS``, …), never
for a list of role names of its own; the Frappe side is ``callcenter_app/utils.py`` (``has_capability``,
``require``, ``requires``). ``docs/permission-matrix.md`` is generated from this module, the doctype,
report and page JSONs, the hooks' row rules and the whitelisted methods (``callcenter_app/common/
permission_matrix.py``); a pure test fails when it is stale.

Adding a capability: one ``Capability(...)`` line below (the name, the roles, one sentence saying what it
allows) and ``@requires(roles.NEW)`` under ``@frappe.whitelist()``; the matrix picks it up.

Decisions where the old lists disagreed (tests/test_roles.py pins each one):

- Helpdesk's ``Agent Manager`` supervises *tickets* (run the distribution, see every ticket and SMS, manage
  signatures) but not *calls* (listen in, recordings, other agents' presence, the PBX reports): those
  stay with ``Agent Supervisor`` and the managers, as api/telephony.py had it.
- The operator console page was open to fewer roles (no ``Project Manager``) than its endpoints: the page's
  roles are now ``USE_CONSOLE``'s, the endpoints' set.
- ``Privileged Agent`` sees every ticket (and so the SMS on them) but not SMS that belong to no ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# --- roles ----------------------------------------------------------------------------------------------

ADMINISTRATOR = "Administrator"  # the user; Frappe gives it every role
SYSTEM_MANAGER = "System Manager"
CALL_CENTER_MANAGER = "Call Center Manager"
PROJECT_MANAGER = "Project Manager"
OPERATOR = "Operator"
FIELD_AGENT = "Field Agent"
AGENT_SUPERVISOR = "Agent Supervisor"
PRIVILEGED_AGENT = "Privileged Agent"
ACCOUNTANT = "Accountant"
AGENT = "Agent"  # Helpdesk's
AGENT_MANAGER = "Agent Manager"  # Helpdesk's
WEBSITE_USER = "Website User"  # not a role: Frappe's portal users (Helpdesk's customers), who have no roles
GUEST = "Guest"  # Frappe gives it to every user, logged in or not
ALL = "All"  # Frappe gives it to every logged-in user
DESK = "Desk User"  # Frappe gives it to every System User (desk access)

# The roles the app creates (install.py), with what each is for (the Role's description).
PRODUCT_ROLES: dict[str, str] = {
	CALL_CENTER_MANAGER: "The administrator of one call center (one site)",
	PROJECT_MANAGER: "Runs campaigns and their call lists",
	OPERATOR: "Makes and takes calls in campaigns",
	FIELD_AGENT: "Visits customers at geo-referenced appointments",
	AGENT_SUPERVISOR: "Listens in, reassigns, watches queues",
	PRIVILEGED_AGENT: "May search and open every ticket",
	ACCOUNTANT: "Reconciles top-ups and the credit ledger",
}

# The columns of docs/permission-matrix.md, in order, with their short headings.
MATRIX_COLUMNS: dict[str, str] = {
	SYSTEM_MANAGER: "SysMgr",
	CALL_CENTER_MANAGER: "CC Mgr",
	PROJECT_MANAGER: "Proj Mgr",
	OPERATOR: "Operator",
	FIELD_AGENT: "Field",
	AGENT_SUPERVISOR: "Supervisor",
	PRIVILEGED_AGENT: "Priv Agent",
	AGENT: "Agent",
	AGENT_MANAGER: "Agent Mgr",
	ACCOUNTANT: "Accountant",
	WEBSITE_USER: "Portal",
	GUEST: "Guest",
}
MATRIX_ROLES = tuple(MATRIX_COLUMNS)


# --- capabilities ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capability:
	"""A named permission: ``roles`` hold it; ``allows`` says what it allows, in one sentence."""

	name: str
	roles: frozenset[str]
	allows: str

	def held_by(self, user_roles: Iterable[str]) -> bool:
		return bool(self.roles & set(user_roles))

	def __str__(self) -> str:
		return self.name


def _cap(name: str, roles: Iterable[str], allows: str) -> Capability:
	return Capability(name, frozenset(roles), allows)


_MANAGERS = {SYSTEM_MANAGER, CALL_CENTER_MANAGER}

SUPERVISE_CALLS = _cap(
	"SUPERVISE_CALLS",
	{*_MANAGERS, AGENT_SUPERVISOR},
	"listen to, whisper to and barge into calls; log other agents in and out; hear any recording; "
	"every agent's status periods; the PBX reports",
)
USE_PHONE = _cap(
	"USE_PHONE",
	{AGENT, *SUPERVISE_CALLS.roles},
	"log in and out of the queues and choose a work mode",
)
PLACE_CALLS = _cap(
	"PLACE_CALLS",
	{AGENT, OPERATOR, *SUPERVISE_CALLS.roles},
	"click-to-call and transfer the user's own calls",
)
USE_SOFTPHONE = _cap(
	"USE_SOFTPHONE",
	{*PLACE_CALLS.roles},
	"the phone bar: register the browser as the user's own CC SIP Account (its secret is handed to that "
	"user only) and see the caller's contact and open tickets",
)
SEE_ALL_CALLS = _cap(
	"SEE_ALL_CALLS",
	{*_MANAGERS, AGENT_SUPERVISOR, ACCOUNTANT},
	"read every CC Call Log (others: the calls they took, of their campaigns and their queues)",
)
SUPERVISE_TICKETS = _cap(
	"SUPERVISE_TICKETS",
	{*_MANAGERS, AGENT_SUPERVISOR, AGENT_MANAGER},
	"run the ticket distribution now; read every CC SMS Message, with or without a ticket",
)
SEE_ALL_TICKETS = _cap(
	"SEE_ALL_TICKETS",
	{*SUPERVISE_TICKETS.roles, PRIVILEGED_AGENT},
	"read every ticket even when CC Settings limits agents to their own teams' tickets",
)
AGENT_TOOLS = _cap(
	"AGENT_TOOLS",
	{AGENT, *SEE_ALL_TICKETS.roles},
	"the agents' ticket tools: SMS replies, snooze, reactivate, the snooze list, the Team Queue page and "
	"pulling tickets (from the manual teams they are an active agent of)",
)
MANAGE_SIGNATURES = _cap(
	"MANAGE_SIGNATURES",
	{*_MANAGERS, AGENT_MANAGER},
	"keep CC Signatures for other agents and the defaults for all (others: only their own)",
)
MANAGE_CAMPAIGNS = _cap(
	"MANAGE_CAMPAIGNS",
	{*_MANAGERS, AGENT_SUPERVISOR, PROJECT_MANAGER},
	"every campaign, its call list, attempts and callbacks (operators: the campaigns they work on)",
)
USE_CONSOLE = _cap(
	"USE_CONSOLE",
	{OPERATOR, *MANAGE_CAMPAIGNS.roles},
	"open the operator console (acting in a campaign also needs being its active operator)",
)
DESK_USER = _cap(
	"DESK_USER",
	{DESK},
	"any desk (System) user; the method checks the permission on the records it touches itself",
)
WEBHOOK = _cap(
	"WEBHOOK",
	{GUEST},
	"anyone, guests included: the request is verified by a signature or a shared token, not by a role",
)
MANAGE_USERS = _cap(
	"MANAGE_USERS",
	{*_MANAGERS},
	"set another user's password and the site's security settings (two-factor, password policy)",
)

SET_PASSWORDS = _cap(
	"SET_PASSWORDS",
	{*MANAGE_USERS.roles, PROJECT_MANAGER},
	"set another user's password (Project Managers: only the operators of the campaigns they created)",
)

SEE_ALL_AGENTS = _cap(
	"SEE_ALL_AGENTS",
	{*_MANAGERS},
	"every agent's rows in the agent reports",
)
SUPERVISE_TEAMS = _cap(
	"SUPERVISE_TEAMS",
	{*SEE_ALL_AGENTS.roles, AGENT_SUPERVISOR},
	"the rows of the members of the teams they are in or lead, in the agent reports",
)
AGENT_REPORTS = _cap(
	"AGENT_REPORTS",
	{AGENT, *SUPERVISE_TEAMS.roles},
	"the agent reports (Agent Performance, Work Time, SLA): an agent their own rows (SUPERVISE_TEAMS: more)",
)
CAMPAIGN_REPORTS = _cap(
	"CAMPAIGN_REPORTS",
	{OPERATOR, *MANAGE_CAMPAIGNS.roles},
	"the Campaign Results report: operators of the campaigns they work on, MANAGE_CAMPAIGNS of every one",
)
READ_WALLBOARD = _cap(
	"READ_WALLBOARD",
	{*SUPERVISE_CALLS.roles},
	"the live wallboard: queue state, calls waiting, agents available, and its realtime room",
)
MANAGE_CREDIT = _cap(
	"MANAGE_CREDIT",
	{*_MANAGERS, ACCOUNTANT},
	"every prepaid credit account, its ledger and top-ups; import bank statements and decide their lines; "
	"export top-ups, process payment events again, rate calls again",
)
OWN_CREDIT = _cap(
	"OWN_CREDIT",
	{ALL},
	"any logged-in user, portal customers included: top up and keep the cards of their own credit accounts "
	"only (the CC Credit Account row rule)",
)
SUPERVISE_FIELD = _cap(
	"SUPERVISE_FIELD",
	{*_MANAGERS, AGENT_SUPERVISOR},
	"every field agent and appointment; move appointments to other field agents",
)
BOOK_APPOINTMENTS = _cap(
	"BOOK_APPOINTMENTS",
	{OPERATOR, *SUPERVISE_FIELD.roles},
	"book field agents' appointments for contacts and read every field agent (operators: the appointments "
	"they booked and of their campaigns)",
)
OWN_CALENDAR = _cap(
	"OWN_CALENDAR",
	{FIELD_AGENT},
	"a field agent's own calendar feed: make, renew and revoke its secret URL",
)
FIELD_DAYS = _cap(
	"FIELD_DAYS",
	{FIELD_AGENT, *BOOK_APPOINTMENTS.roles},
	"the Field Agents workspace and a field agent's day (a field agent: only their own)",
)

CAPABILITIES: dict[str, Capability] = {
	c.name: c for c in globals().copy().values() if isinstance(c, Capability)
}


@dataclass(frozen=True)
class RowRule:
	"""A doctype's row rule (hooks.py ``permission_query_conditions`` / ``has_permission``): holders of
	``sees_all`` see every record, everyone else only ``others``."""

	sees_all: Capability
	others: str


# A doctype that gets a row rule later gets a line here (tests/test_roles.py checks hooks.py against it).
_CAMPAIGN_ROWS = "the records of campaigns where they are an active operator"
ROW_RULES: dict[str, RowRule] = {
	"CC Agent Status Log": RowRule(SUPERVISE_CALLS, "their own status periods"),
	"CC Call Log": RowRule(
		SEE_ALL_CALLS, "the calls they took, of campaigns they work on, and inbound calls of their queues"
	),
	"CC SMS Message": RowRule(SUPERVISE_TICKETS, "the messages on tickets they may read"),
	"CC Campaign": RowRule(MANAGE_CAMPAIGNS, "the campaigns where they are an active operator"),
	"CC Campaign Contact": RowRule(MANAGE_CAMPAIGNS, _CAMPAIGN_ROWS),
	"CC Call Attempt": RowRule(MANAGE_CAMPAIGNS, _CAMPAIGN_ROWS),
	"CC Callback": RowRule(
		MANAGE_CAMPAIGNS, "the public callbacks of their campaigns and their own private ones"
	),
	"HD Ticket": RowRule(
		SEE_ALL_TICKETS,
		"when CC Settings limits agents to their teams: tickets assigned to, raised or created by them, of "
		"their teams, or of no team yet (portal customers: Helpdesk's own rule, their tickets)",
	),
	"HD Ticket Comment": RowRule(SEE_ALL_TICKETS, "the comments of the tickets they may read"),
	"CC Appointment": RowRule(
		SUPERVISE_FIELD,
		"a field agent their own appointments; an operator those they booked and of campaigns they work on",
	),
	"CC Field Agent": RowRule(BOOK_APPOINTMENTS, "a field agent only their own record"),
	"CC Credit Account": RowRule(
		MANAGE_CREDIT, "the accounts of the HD Customers whose contact they are (portal customers)"
	),
	"CC Credit Ledger Entry": RowRule(MANAGE_CREDIT, "the entries of the credit accounts they may read"),
	"CC Top Up": RowRule(MANAGE_CREDIT, "the top-ups of the credit accounts they may read"),
}

# Reports and pages show the data of a capability: their JSON's roles must be exactly its roles
# (tests/test_roles.py). Reports and pages added later get a line here.
REPORT_CAPABILITY: dict[str, Capability] = {
	"PBX Agents": SUPERVISE_CALLS,
	"Queue QoS": SUPERVISE_CALLS,
	"Queue Performance": SUPERVISE_CALLS,
	"Agent Performance": AGENT_REPORTS,
	"Work Time": AGENT_REPORTS,
	"SLA": AGENT_REPORTS,
	"Campaign Results": CAMPAIGN_REPORTS,
	"CC Credit Reconciliation": MANAGE_CREDIT,
}
PAGE_CAPABILITY: dict[str, Capability] = {
	"cc-console": USE_CONSOLE,
	"cc-security": MANAGE_USERS,
	"cc-wallboard": READ_WALLBOARD,
	"cc-booking": BOOK_APPOINTMENTS,
	"cc-my-calendar": OWN_CALENDAR,
	"cc-team-queue": AGENT_TOOLS,
}


def effective_roles(column: str) -> frozenset[str]:
	"""The roles Frappe's ``get_roles`` gives a user of a matrix column: a desk user with that one role
	(plus Frappe's automatic All, Guest and Desk User), a portal user (All, Guest) or a guest (Guest)."""
	if column == GUEST:
		return frozenset({GUEST})
	if column == WEBSITE_USER:
		return frozenset({ALL, GUEST})
	return frozenset({column, ALL, GUEST, DESK})


def capability(name: str | Capability) -> Capability:
	"""The capability called ``name`` (a Capability is returned as it is)."""
	if isinstance(name, Capability):
		return name
	try:
		return CAPABILITIES[name]
	except KeyError:
		raise KeyError(f"capability: {name!r} is not one of {', '.join(sorted(CAPABILITIES))}") from None


def may(user_roles: Iterable[str], cap: str | Capability) -> bool:
	"""Whether a user with ``user_roles`` holds ``cap``."""
	return capability(cap).held_by(user_roles)


def refusal(cap: str | Capability) -> str:
	"""The message a refused user reads: who may do it."""
	cap = capability(cap)
	if cap.roles == {ALL}:
		return "Log in to do this"
	named = [r for r in MATRIX_ROLES if r in cap.roles] or sorted(cap.roles)
	return "Only " + " / ".join(named) + " may do this"
