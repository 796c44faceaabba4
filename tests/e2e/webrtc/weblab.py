"""The PBX lab with a browser agent: ``WebRtcLab`` is the lab (lab.py) plus a WebRTC SIP account ``web``,
the WebSocket transport and http.conf exactly as render-asterisk writes them (``render_all(..., WebRtc)``),
a small HTTP server that serves the phone bar's bundle in a harness page and answers its ``/api/method/``
calls from the lab (registration, caller card, transfer through AMI as api/telephony.transfer does), and a
headless Chromium with fake media driven by ``drive.mjs`` (playwright-core).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lab import (
	AGENTS,
	HOST,
	PHONES,
	QUEUES,
	Lab,
	bench_execute,
	free_port,
	manager_conf,
	modules_conf,
	pjsip_lab_part,
)

from callcenter_app.telephony import actions
from callcenter_app.telephony.asterisk_config.render import AgiTarget, SipAccount, WebRtc, render_all

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
WEB = SipAccount("web", "web-lab-secret-0004", "Web Agent", webrtc=True, extension="1004")
CARD_CALLER = "+37061199999"  # the caller the fake caller card knows
CARD = {
	"contact": "Lab Caller",
	"contact_name": "Laura Caller",
	"tickets": [{"name": "HD-LAB-7", "subject": "Router broken", "status": "Open"}],
}


def esbuild() -> str | None:
	for candidate in (
		os.environ.get("CC_ESBUILD"),
		str(ROOT / "node_modules" / ".bin" / "esbuild"),
		"/root/frappe-bench/apps/frappe/node_modules/.bin/esbuild",
		shutil.which("esbuild"),
	):
		if candidate and os.path.exists(candidate):
			return candidate
	return None


def playwright_dir() -> str | None:
	for candidate in (os.environ.get("CC_PLAYWRIGHT_DIR"), "/root/pw", str(ROOT)):
		if candidate and (Path(candidate) / "node_modules" / "playwright-core").is_dir():
			return candidate
	return None


def why_skip() -> str | None:
	if not shutil.which("node"):
		return "the WebRTC lab needs node"
	if not esbuild():
		return "the WebRTC lab needs esbuild (yarn install, or a Frappe bench's) to build the phone bar"
	if not playwright_dir():
		return "the WebRTC lab needs playwright-core (CC_PLAYWRIGHT_DIR)"
	if not os.path.exists(os.environ.get("CC_CHROMIUM", "/usr/bin/chromium")):
		return "the WebRTC lab needs Chromium (CC_CHROMIUM)"
	if not (ROOT / "node_modules" / "jssip").is_dir():
		return "the WebRTC lab needs jssip: yarn install in the repository"
	return None


def build_bundle(out: Path) -> Path:
	"""phone_bar.bundle.js as Frappe's esbuild builds it (one IIFE, JsSIP from node_modules)."""
	subprocess.run(
		[
			esbuild(),
			str(ROOT / "callcenter_app" / "public" / "js" / "phone_bar.bundle.js"),
			"--bundle",
			"--format=iife",
			"--target=es2019",
			f"--outfile={out}",
			"--log-level=warning",
		],
		check=True,
		cwd=ROOT,
		capture_output=True,
	)
	return out


class WebRtcLab(Lab):
	"""The lab with ``web`` (a WebRTC account, extension 1004) in queue support and the campaign queue
	sales, the WebSocket on Asterisk's HTTP server (loopback, plain ws: the page is http://127.0.0.1)."""

	def __init__(self, *args, tls: bool = True, **kwargs):
		super().__init__(*args, **kwargs)
		self.http_port = free_port()
		self.tls_port = free_port()
		self.tls = tls
		# wss:// to Asterisk's own TLS (a certificate made for 127.0.0.1 at start; the lab's browser
		# contexts accept it, ignoreHTTPSErrors); plain ws:// with tls=False
		self.ws_url = f"wss://{HOST}:{self.tls_port}/ws" if tls else f"ws://{HOST}:{self.http_port}/ws"
		self.registration = {
			"ws_url": self.ws_url,
			"sip_uri": f"sip:{WEB.username}@{HOST}",
			"authorization_user": WEB.username,
			"password": WEB.secret,
			"display_name": WEB.display_name,
			"extension": WEB.extension,
			"ice_servers": [],
		}
		self.api_log: list[tuple[str, dict]] = []
		self.server: ThreadingHTTPServer | None = None
		self.browser: Browser | None = None

	def _write_pbx(self) -> None:
		accounts = [*PHONES.values(), WEB]
		webrtc = WebRtc(HOST, self.http_port)
		if self.tls:
			keys = self.pbx.root / "keys"
			keys.mkdir(parents=True, exist_ok=True)
			cert, key = keys / "pbx.crt", keys / "pbx.key"
			subprocess.run(
				[
					"openssl",
					"req",
					"-x509",
					"-newkey",
					"rsa:2048",
					"-nodes",
					"-days",
					"2",
					"-subj",
					f"/CN={HOST}",
					"-addext",
					f"subjectAltName=IP:{HOST}",
					"-keyout",
					str(key),
					"-out",
					str(cert),
				],
				check=True,
				capture_output=True,
			)
			webrtc = WebRtc(HOST, self.http_port, True, HOST, self.tls_port, str(cert), str(key))
		rendered = render_all(accounts, list(QUEUES), AgiTarget(HOST, self.ports.agi), webrtc)
		self.rendered = dict(rendered.files)
		from lab import COMMON_FILES

		files = {k: v.format(rtp_start=20000, rtp_end=24999, data=self.data) for k, v in COMMON_FILES.items()}
		files.update(rendered.files)  # queues, extensions, features and http.conf as rendered
		files["cc-pjsip.conf"] = rendered.files["pjsip.conf"]
		files["pjsip.conf"] = (
			pjsip_lab_part(self.ports.pbx_sip, self.ports.carrier_sip, "trunk", "cc-inbound", "cc-lab-pbx")
			+ "\n; The SIP accounts and the WebSocket transport, exactly as render-asterisk writes them:\n"
			"#include cc-pjsip.conf\n"
		)
		files["manager.conf"] = manager_conf(self.ports.pbx_ami, self.secret)
		# the lab leaves the WebSocket modules out; the phone bar needs them
		files["modules.conf"] = "".join(
			line
			for line in modules_conf().splitlines(keepends=True)
			if not any(m in line for m in ("res_http_websocket.so", "res_pjsip_transport_websocket.so"))
		)
		self.pbx.write(files)

	def _start(self) -> None:
		super()._start()
		self.bundle = build_bundle(self.run / "phone_bar.js")
		self.server = harness_server(self)
		threading.Thread(target=self.server.serve_forever, name="harness", daemon=True).start()
		self.page_url = f"http://{HOST}:{self.server.server_address[1]}/"
		self.browser = Browser(self.run / "chromium.log")

	def stop(self) -> None:
		if self.browser is not None:
			with contextlib.suppress(Exception):
				self.browser.close()
		if self.server is not None:
			with contextlib.suppress(Exception):
				self.server.shutdown()
		super().stop()

	def contacts(self, account: str) -> list[str]:
		text = self.pbx.cli("pjsip show contacts", check=False)
		return [
			line.split()[1] for line in text.splitlines() if line.strip().startswith(f"Contact:  {account}/")
		]

	# the harness's /api/method/ answers (what api/phone.py and api/telephony.py do on a site)
	def api(self, method: str, args: dict) -> tuple[int, dict]:
		self.api_log.append((method, {k: v for k, v in args.items() if k != "password"}))
		if method == "callcenter_app.api.phone.registration":
			return 200, {"message": dict(self.registration)}
		if method == "callcenter_app.api.phone.caller_card":
			number = str(args.get("number") or "")
			card = {"contact": None, "contact_name": None, "tickets": []}
			return 200, {"message": {"number": number, **(CARD if number == CARD_CALLER else card)}}
		if method == "callcenter_app.api.telephony.transfer":
			call = self.live_call(WEB.username, 5)
			target = str(args["target"])
			if str(args.get("attended")) in ("1", "true", "True"):
				extension = {a.username: a.extension for a in AGENTS.values()}.get(target, target)
				self.desk(actions.attended_transfer(call, extension))
			else:
				self.desk(actions.blind_transfer(call, target))
			return 200, {"message": {"transferred": call.linkedid, "to": target}}
		return 404, {"exception": f"no method {method}"}


def harness_server(lab: WebRtcLab) -> ThreadingHTTPServer:
	page = (HERE / "harness.html").read_bytes()

	class Handler(BaseHTTPRequestHandler):
		def log_message(self, *args):  # quiet
			pass

		def send(self, status: int, body: bytes, content_type: str) -> None:
			self.send_response(status)
			self.send_header("Content-Type", content_type)
			self.send_header("Cache-Control", "no-store")
			self.send_header("Content-Length", str(len(body)))
			self.end_headers()
			self.wfile.write(body)

		def do_GET(self):
			if self.path == "/":
				return self.send(200, page, "text/html; charset=utf-8")
			if self.path == "/phone_bar.js":
				return self.send(200, lab.bundle.read_bytes(), "text/javascript")
			return self.send(404, b"not found", "text/plain")

		def do_POST(self):
			if not self.path.startswith("/api/method/"):
				return self.send(404, b"{}", "application/json")
			if self.headers.get("X-Frappe-CSRF-Token") != "lab-csrf-token":
				return self.send(403, b'{"exception": "CSRF token missing"}', "application/json")
			length = int(self.headers.get("Content-Length") or 0)
			args = json.loads(self.rfile.read(length) or b"{}")
			try:
				status, body = lab.api(self.path[len("/api/method/") :], args)
			except Exception as e:  # the page shows it, the test sees it
				status, body = 417, {"exception": f"{type(e).__name__}: {e}"}
			return self.send(status, json.dumps(body).encode(), "application/json")

	return ThreadingHTTPServer((HOST, 0), Handler)


class Browser:
	"""drive.mjs as a subprocess: one JSON command a line, one answer a line."""

	def __init__(self, log: Path):
		env = dict(os.environ, CC_PLAYWRIGHT_DIR=playwright_dir())
		self.log = open(log, "w")
		self.proc = subprocess.Popen(
			["node", str(HERE / "drive.mjs")],
			stdin=subprocess.PIPE,
			stdout=subprocess.PIPE,
			stderr=self.log,
			text=True,
			env=env,
			cwd=HERE,
		)
		ready = json.loads(self.proc.stdout.readline() or "{}")
		if not ready.get("ready"):
			raise RuntimeError(f"lab: Chromium did not start; see {log}")
		self.version = ready.get("version")
		self._id = 0
		self.lock = threading.Lock()

	def __call__(self, op: str, **kwargs):
		with self.lock:
			self._id += 1
			self.proc.stdin.write(json.dumps({"id": self._id, "op": op, **kwargs}) + "\n")
			self.proc.stdin.flush()
			line = self.proc.stdout.readline()
		if not line:
			raise RuntimeError("lab: the browser driver exited")
		answer = json.loads(line)
		if not answer.get("ok"):
			raise AssertionError(f"browser {op} {kwargs}: {answer.get('error')}")
		return answer.get("value")

	def close(self) -> None:
		with contextlib.suppress(Exception):
			self.proc.stdin.write(json.dumps({"id": 0, "op": "quit"}) + "\n")
			self.proc.stdin.flush()
			self.proc.wait(5)
		if self.proc.poll() is None:
			self.proc.kill()
		self.log.close()


def site_call(site: str, module: str, function: str, **kwargs):
	"""``bench --site SITE execute`` of ``module.function`` (a file in tests/e2e or this directory) with
	``kwargs``; the function's JSON result. Those directories are appended to sys.path (after the bench's
	own packages), so nothing in them can stand in for an app's module."""
	paths = f"__import__('sys').path.extend([{str(HERE.parent)!r}, {str(HERE)!r}])"
	target = f"({paths}, __import__({module!r}).{function})[1]"
	return bench_execute(site, target, kwargs, dict(os.environ, PYTHONPATH=str(ROOT)), timeout=90)


def site_setup(lab: WebRtcLab, site: str) -> dict:
	"""The lab's agents, web included, their queues and CC Settings on ``site`` (bench_site.setup), then
	the phone bar's part (desk_site.phone_bar). Returns the web agent's user."""
	accounts = [
		{"username": a.username, "secret": a.secret, "extension": a.extension, "display_name": a.display_name}
		for a in (*AGENTS.values(), WEB)
	]
	queues = [
		{"name": "support", "strategy": "linear", "members": ["ann", "bob", "web"]},
		{"name": "sales", "strategy": "linear", "members": ["dora", "web"]},
	]
	site_call(
		site,
		"bench_site",
		"setup",
		ami_port=lab.ports.pbx_ami,
		ami_secret=lab.secret,
		accounts=accounts,
		queues=queues,
	)
	return site_call(
		site, "desk_site", "phone_bar", username=WEB.username, ws_url=lab.ws_url, password=DESK_PASSWORD
	)


DESK_PASSWORD = "Lab-desk-Passw0rd!"
