"""The phone bar in the real desk (or in Helpdesk's agent UI with CC_PAGE=helpdesk), registered with the
lab's Asterisk, for docs/screenshots/: a queued call ringing with the caller's card, then answered with the
transfer panel open.

	export PATH=/root/bench-env/bin:$PATH
	PYTHONPATH=WORKTREE bench --site SITE serve --port 8010 &      # the desk (SITE in /etc/hosts)
	CC_LAB_SITE=SITE CC_DESK_URL=http://SITE:8010 /work/venv/bin/python tests/e2e/webrtc/desk_screenshot.py
	CC_PAGE=helpdesk CC_LAB_SITE=SITE ... (the same, in /helpdesk: needs Helpdesk's SPA built)

The site is changed for good (lab users, CC Settings pointing at a lab that is gone afterwards): a test
site only. Needs what tests/e2e/test_webrtc.py needs, plus bench build --app callcenter_app.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from lab import DID_SUPPORT
from weblab import DESK_PASSWORD, WebRtcLab, site_call, site_setup

from callcenter_app.telephony import actions
from callcenter_app.telephony.ami.client import AmiActionError

SHOTS = HERE.parents[2] / "docs" / "screenshots"
CALLER = "+37061199988"


def main() -> int:
	site = os.environ["CC_LAB_SITE"]
	desk = os.environ.get("CC_DESK_URL", f"http://{site}:8000")
	helpdesk = os.environ.get("CC_PAGE") == "helpdesk"
	shot = "phone-bar-helpdesk" if helpdesk else "phone-bar-desk"
	lab = WebRtcLab().start()
	try:
		user = site_setup(lab, site)["user"]
		card = site_call(
			site,
			"desk_site",
			"known_caller",
			number=CALLER,
			name="Laura Vaitkute",
			subject="Router keeps rebooting",
		)
		print("site ready:", user, card, flush=True)
		b = lab.browser
		b("open", page="login", context="desk", url=f"{desk}/login")
		b("fill", page="login", selector="#login_email", value=user)
		b("fill", page="login", selector="#login_password", value=DESK_PASSWORD)
		b("click", page="login", selector=".btn-login")
		b("wait", page="login", expr="!location.pathname.startsWith('/login')", timeout=30000)
		b("close", page="login")
		ticket_url = f"/helpdesk/tickets/{card['ticket']}" if helpdesk else f"/app/hd-ticket/{card['ticket']}"
		b("open", page="d", context="desk", url=f"{desk}{ticket_url}")
		bar = "document.querySelector('[data-cc=phone-bar]')"
		b("wait", page="d", expr=f"{bar} && {bar}.dataset.status === 'registered'", timeout=40000)
		if helpdesk:  # the dock's bar starts folded: open it as an agent would
			b(
				"eval",
				page="d",
				expr=f"{bar}.classList.contains('cc-collapsed') && {bar}.querySelector('.cc-phone-head').click()",
			)
		for queue in ("support", "sales"):
			# the site may have added it already (saving a CC Call Queue syncs Asterisk's members)
			with contextlib.suppress(AmiActionError):
				lab.desk(actions.queue_add(actions.Membership(queue, "PJSIP/web", 0, name="web")))
		for queue, agent in (("support", "ann"), ("support", "bob")):
			lab.desk(actions.queue_pause(actions.Membership(queue, f"PJSIP/{agent}"), True))
		SHOTS.mkdir(parents=True, exist_ok=True)
		b("shot", page="d", path=str(SHOTS / f"{shot}-ready.png"))
		lab.call_in(DID_SUPPORT, caller=CALLER, hold=40)
		b(
			"wait",
			page="d",
			expr=f"{bar}.dataset.status === 'ringing' && document.querySelector('[data-cc=contact]')",
			timeout=20000,
		)
		time.sleep(0.5)
		b("shot", page="d", path=str(SHOTS / f"{shot}-ringing.png"))
		b("click", page="d", selector="[data-cc=answer]")
		b("wait", page="d", expr=f"{bar}.dataset.status === 'incall'", timeout=10000)
		b("click", page="d", selector="[data-cc=transfer]")
		b("fill", page="d", selector="[data-cc=transfer-target]", value="bob")
		time.sleep(3)
		b("shot", page="d", path=str(SHOTS / f"{shot}.png"))
		checked = b(
			"eval",
			page="d",
			expr=f"({{status: {bar}.dataset.status, text: {bar}.innerText, timer: document.querySelector('[data-cc=timer]').innerText}})",
		)
		print("checked:", checked, flush=True)
		b("click", page="d", selector="[data-cc=hangup]")
		b("wait", page="d", expr=f"{bar}.dataset.status === 'registered'", timeout=10000)
		return 0
	finally:
		lab.stop()


if __name__ == "__main__":
	sys.exit(main())
