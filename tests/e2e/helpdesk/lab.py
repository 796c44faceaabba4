"""The browser check's stand-ins, on loopback: the pure suite's AMI peer (tests/ami_peer.py) as the PBX, and an
HTTP SMS gateway. Each request they get is appended as one JSON line to OUT/ami.jsonl or OUT/sms.jsonl.

	python tests/e2e/helpdesk/lab.py --out /tmp/hdlab --ami-port 15038 --sms-port 18025
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # tests/, for ami_peer
from ami_peer import AmiPeer


def sms_gateway(port: int, log: pathlib.Path) -> ThreadingHTTPServer:
	class Handler(BaseHTTPRequestHandler):
		def do_POST(self):
			body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
			form = {k: v[0] for k, v in parse_qs(body).items()}
			with log.open("a") as f:
				f.write(json.dumps({"path": self.path, "form": form}) + "\n")
			# a message id unique across lab runs: the site keeps (provider, id) unique (CC SMS Message.dedupe_key)
			answer = json.dumps({"id": f"gw-{uuid.uuid4().hex[:12]}"}).encode()
			self.send_response(200)
			self.send_header("Content-Type", "application/json")
			self.send_header("Content-Length", str(len(answer)))
			self.end_headers()
			self.wfile.write(answer)

		def log_message(self, *args):
			pass

	server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
	threading.Thread(target=server.serve_forever, daemon=True).start()
	return server


async def ami(port: int, log: pathlib.Path) -> None:
	peer = AmiPeer([])
	seen = 0
	peer.server = await asyncio.start_server(peer.handle, "127.0.0.1", port)
	while True:
		await asyncio.sleep(0.2)
		if len(peer.received) > seen:
			with log.open("a") as f:
				for action in peer.received[seen:]:
					f.write(json.dumps(action) + "\n")
			seen = len(peer.received)


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--out", required=True)
	parser.add_argument("--ami-port", type=int, default=15038)
	parser.add_argument("--sms-port", type=int, default=18025)
	args = parser.parse_args()
	out = pathlib.Path(args.out)
	out.mkdir(parents=True, exist_ok=True)
	for name in ("ami.jsonl", "sms.jsonl"):
		(out / name).write_text("")
	sms_gateway(args.sms_port, out / "sms.jsonl")
	print(
		f"AMI peer on 127.0.0.1:{args.ami_port} (user cc), SMS gateway on 127.0.0.1:{args.sms_port}",
		flush=True,
	)
	asyncio.run(ami(args.ami_port, out / "ami.jsonl"))


if __name__ == "__main__":
	main()
