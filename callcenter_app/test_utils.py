"""Factories and helpers for the bench tests (FrappeTestCase); nothing here runs in production."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import frappe

APP_ROOT = Path(__file__).resolve().parents[1]
SECRET = "a-long-sip-secret-1"


def make_user(email: str, roles: tuple[str, ...] = (), first_name: str | None = None) -> str:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name or email.split("@")[0].title(),
				"send_welcome_email": 0,
				"user_type": "System User",
			}
		)
		user.insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	missing = [r for r in roles if r not in {x.role for x in user.roles}]
	if missing:
		user.flags.ignore_permissions = True  # factories run as whoever the test is acting as
		user.add_roles(*missing)
	return email


def make_agent(email: str, sip_account: str | None = None, roles: tuple[str, ...] = ("Agent",)) -> str:
	make_user(email, roles)
	if not frappe.db.exists("HD Agent", email):
		frappe.get_doc(
			{"doctype": "HD Agent", "user": email, "agent_name": email.split("@")[0], "is_active": 1}
		).insert(ignore_permissions=True)
	if sip_account and not frappe.db.exists("CC SIP Account", sip_account):
		make_sip_account(sip_account, email)
	return email


def make_sip_account(username: str, user: str | None = None) -> str:
	frappe.get_doc(
		{
			"doctype": "CC SIP Account",
			"username": username,
			"user": user,
			"enabled": 1,
			"secret": SECRET,
			"max_contacts": 2,
		}
	).insert(ignore_permissions=True)
	return username


def make_call_queue(name: str, members: list[tuple[str, int, int]], strategy: str = "linear") -> str:
	"""``members``: (user, level, position)."""
	if frappe.db.exists("CC Call Queue", name):
		frappe.delete_doc("CC Call Queue", name, force=True, ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "CC Call Queue",
			"queue_name": name,
			"strategy": strategy,
			"max_wait": 300,
			"ring_timeout": 15,
			"retry": 5,
			"members": [{"agent": u, "level": level, "position": pos} for u, level, pos in members],
		}
	).insert(ignore_permissions=True)
	return name


def make_contact(name: str, phone: str) -> str:
	contact = frappe.get_doc(
		{"doctype": "Contact", "first_name": name, "phone_nos": [{"phone": phone, "is_primary_phone": 1}]}
	)
	contact.insert(ignore_permissions=True)
	return contact.name


def load_ami_peer():
	"""The AMI protocol peer of the pure suite (tests/ami_peer.py), which replays real Asterisk output."""
	spec = importlib.util.spec_from_file_location("cc_ami_peer", APP_ROOT / "tests" / "ami_peer.py")
	module = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(module)
	return module


def peer_thread(frames: list[dict] | None = None):
	"""The pure suite's PeerThread (an AmiPeer on a loopback port), with CC Settings pointed at it."""
	from contextlib import contextmanager

	module = load_ami_peer()

	@contextmanager
	def running():
		peer = module.AmiPeer(frames or [])
		with module.PeerThread(peer) as port:
			settings = frappe.get_single("CC Settings")
			settings.update(
				{
					"pbx_enabled": 1,
					"ami_host": "127.0.0.1",
					"ami_port": port,
					"ami_username": peer.username,
					"ami_secret": peer.secret,
				}
			)
			settings.save(ignore_permissions=True)
			yield peer

	return running()
