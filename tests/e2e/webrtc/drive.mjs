// Drives headless Chromium (playwright-core, fake media devices) for tests/e2e/test_webrtc.py.
// One JSON command a line on stdin, one JSON answer a line on stdout:
//   {"id", "op": "open", "page", "context", "url", "mic": "allow"|"deny"}
//   {"id", "op": "eval", "page", "expr"}                 the value of expr in the page
//   {"id", "op": "click", "page", "selector"}
//   {"id", "op": "fill", "page", "selector", "value"}
//   {"id", "op": "wait", "page", "expr", "timeout"}      until expr is truthy in the page
//   {"id", "op": "shot", "page", "path", "selector"?}
//   {"id", "op": "close", "page"}
// Page console lines go to stderr. Usage: node drive.mjs   (CC_PLAYWRIGHT_DIR: where playwright-core is)
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const dir = process.env.CC_PLAYWRIGHT_DIR || "/root/pw";
const require = createRequire(`${dir}/`);
const { chromium } = require("playwright-core");

const BASE = [
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--use-fake-device-for-media-stream",
		"--autoplay-policy=no-user-gesture-required",
];
const launch = (args) =>
	chromium.launch({ executablePath: process.env.CC_CHROMIUM || "/usr/bin/chromium", args: [...BASE, ...args] });
// the microphone allowed (fake UI accepts the prompt) ...
const browser = await launch(["--use-fake-ui-for-media-stream"]);
// ... or refused, as a person clicking "Block" (a second browser, started when first asked for)
let refusing = null;
const contexts = {};
const pages = {};

async function open({ page, context = page, url, mic = "allow" }) {
	if (!contexts[context]) {
		let owner = browser;
		if (mic === "deny") owner = refusing = refusing || (await launch(["--deny-permission-prompts"]));
		// the lab's Asterisk has a certificate made at start for 127.0.0.1 (wss://): accepted here only
		contexts[context] = await owner.newContext({ viewport: { width: 1100, height: 700 }, ignoreHTTPSErrors: true });
	}
	const ctx = contexts[context];
	const p = await ctx.newPage();
	p.on("console", (m) => process.stderr.write(`[${page}] ${m.type()}: ${m.text()}\n`));
	p.on("pageerror", (e) => process.stderr.write(`[${page}] pageerror: ${e.message}\n`));
	await p.goto(url);
	pages[page] = p;
	return true;
}

async function run(cmd) {
	const p = pages[cmd.page];
	switch (cmd.op) {
		case "open":
			return open(cmd);
		case "eval":
			return p.evaluate(cmd.expr);
		case "click":
			await p.click(cmd.selector, { timeout: 5000 });
			return true;
		case "fill":
			await p.fill(cmd.selector, cmd.value, { timeout: 5000 });
			return true;
		case "wait":
			await p.waitForFunction(cmd.expr, null, { timeout: cmd.timeout || 15000, polling: 100 });
			return true;
		case "shot":
			if (cmd.selector) await p.locator(cmd.selector).screenshot({ path: cmd.path });
			else await p.screenshot({ path: cmd.path });
			return cmd.path;
		case "close":
			await p.close();
			delete pages[cmd.page];
			return true;
		case "quit":
			if (refusing) await refusing.close();
			await browser.close();
			process.exit(0);
	}
	throw new Error(`unknown op ${cmd.op}`);
}

const lines = createInterface({ input: process.stdin });
process.stdout.write(JSON.stringify({ ready: true, version: browser.version() }) + "\n");
for await (const line of lines) {
	if (!line.trim()) continue;
	const cmd = JSON.parse(line);
	try {
		const value = await run(cmd);
		process.stdout.write(JSON.stringify({ id: cmd.id, ok: true, value: value === undefined ? null : value }) + "\n");
	} catch (e) {
		process.stdout.write(JSON.stringify({ id: cmd.id, ok: false, error: String((e && e.message) || e) }) + "\n");
	}
}
await browser.close();
