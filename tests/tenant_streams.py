"""Two tenants' AMI streams for the tenant tests (tests/test_tenant.py and the bench's
test_tenant_isolation.py, which loads this file): the Asterisk 22 recordings of tests/data/asterisk, renamed
as a tenant's generated dialplan would name things, the second tenant's calls cloned with their own ids.
No pytest here: the bench loads it."""

from __future__ import annotations

import re

from ami_peer import clone_call, merged, recorded_frames

NAMES = (
	"answered",
	"abandoned",
	"penalties",
	"overflow",
	"attended_transfer",
	"redirect_transfer",
	"ring_no_answer",
	"inherited_vars",
	"voicemail_agi",
)
_LOCAL = re.compile(r"Local/([^@,&\s]+)@([A-Za-z0-9_.-]+)")
_PJSIP = re.compile(r"PJSIP/([A-Za-z0-9_.+-]+)(@[A-Za-z0-9_.-]+)?")


def as_tenant(frames: list[dict], prefix: str) -> list[dict]:
	"""What the recording would be had the calls run in tenant ``prefix``'s generated dialplan: every
	context, queue and channel carries the prefix (written here independently of tenant.py)."""
	out = []
	for m in frames:
		c = {}
		for k, v in m.items():
			if not v:
				pass
			elif k.endswith("Context"):
				v = f"{prefix}-{v}"
			elif k == "Queue":
				v = f"{prefix}-{v}"
			elif k == "Device" and v.startswith("Queue:"):
				v = f"Queue:{prefix}-{v[len('Queue:') :]}"
			else:
				if (
					k in ("AppData", "ApplicationData", "LastData")
					and (m.get("Application") or m.get("LastApplication")) == "Queue"
				):
					v = f"{prefix}-{v}"
				v = _LOCAL.sub(lambda x: f"Local/{x.group(1)}@{prefix}-{x.group(2)}", v)
				v = _PJSIP.sub(
					lambda x: (
						f"PJSIP/{x.group(1)}@{prefix}-{x.group(2)[1:]}"
						if x.group(2)
						else f"PJSIP/{prefix}-{x.group(1)}"
					),
					v,
				)
			c[k] = v
		out.append(c)
	return out


def first_ts(frames) -> float:
	return min(float(m["Timestamp"]) for m in frames if "Timestamp" in m)


def two_tenants() -> tuple[list[dict], list[dict], list[dict]]:
	"""(site A's calls alone, site B's calls alone, both as one Asterisk sends them): B's calls are clones of
	A's with their own ids and callers, shifted to overlap A's in time."""
	mine = [recorded_frames(n) for n in NAMES]
	theirs = [clone_call(f, 40 + i, first_ts(mine[0]) - first_ts(f) + 0.37 * i) for i, f in enumerate(mine)]
	a, b = merged(mine), merged(theirs)
	# one Asterisk gives every bridge its own id: the clone's bridges get new ones (clone_call keeps them)
	b = [{k: f"{v}-2" if k.endswith("BridgeUniqueid") and v else v for k, v in e.items()} for e in b]
	# "Site" says which site's call an event is of (no AMI header: tenant.py never reads it)
	shared = merged(
		[[{**e, "Site": "ta"} for e in as_tenant(a, "ta")], [{**e, "Site": "tb"} for e in as_tenant(b, "tb")]]
	)
	return a, b, shared
