// The browser check of the app's tools in Helpdesk's agent UI (README.md here says how to run it).
// An agent logs in on the bench site, opens a ticket in /helpdesk and uses Call contact, Send SMS, Snooze,
// Handling time, then pulls the next ticket from the tickets list; a ringing notice shows the popup. Each
// step is checked in the page and on the records (fixtures.py state) or at the lab's stand-ins (lab.py).
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT || "/root/pw/node_modules/playwright-core");

const BASE = process.env.BASE || "http://hd.localhost:8013";
const SITE = process.env.SITE || new URL(BASE).hostname;
const BENCH = process.env.BENCH || "/root/frappe-bench";
const REPO = path.resolve(__dirname, "../../..");
const LAB = process.env.LAB_OUT || "/tmp/hdlab";
const SHOTS = process.env.SHOTS || path.join(REPO, "docs/screenshots");

function fixtures(...args) {
	const out = execFileSync(
		path.join(BENCH, "env/bin/python"),
		[path.join(__dirname, "fixtures.py"), SITE, ...args],
		{ cwd: path.join(BENCH, "sites"), env: { ...process.env, PYTHONPATH: REPO }, stdio: ["ignore", "pipe", "ignore"] }
	);
	return JSON.parse(out.toString().trim().split("\n").pop());
}

const lines = (file) =>
	fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(JSON.parse) : [];

const results = [];
function check(what, ok, detail = "") {
	results.push({ what, ok: Boolean(ok), detail });
	console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` — ${detail}` : ""}`);
}

async function until(fn, timeout = 8000) {
	const end = Date.now() + timeout;
	let value;
	while (Date.now() < end) {
		value = await fn();
		if (value) return value;
		await new Promise((r) => setTimeout(r, 250));
	}
	return value;
}

let page;
(async () => {
	const data = fixtures("setup");
	console.log("fixtures", JSON.stringify(data));
	const browser = await chromium.launch({
		executablePath: "/usr/bin/chromium",
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
	});
	const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
	await context.grantPermissions(["microphone"], { origin: BASE });
	page = await context.newPage();
	page.on("pageerror", (e) => console.log("pageerror:", e.message));
	const login = await page.request.post(`${BASE}/api/method/login`, { form: { usr: data.agent, pwd: data.password } });
	check("agent logs in", login.ok(), `HTTP ${login.status()}`);

	// --- a ticket: the actions in Helpdesk's header ----------------------------------------------------
	await page.goto(`${BASE}/helpdesk/tickets/${data.ticket}`, { waitUntil: "networkidle" });
	const callButton = page.getByRole("button", { name: "Call contact" });
	await callButton.waitFor({ timeout: 20000 });
	check("ticket header shows the form script's actions",
		await page.getByRole("button", { name: "Send SMS" }).isVisible() && await page.getByRole("button", { name: "Snooze" }).isVisible());
	const clock = page.getByTestId("cc-clock");
	await clock.getByTestId("cc-handling").waitFor({ timeout: 10000 });
	check("dock shows the ticket clock", /Handling time/.test(await clock.innerText()), (await clock.innerText()).replace(/\s+/g, " "));
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-ticket-actions.png") });

	// Call contact: through click_to_call to the lab's AMI peer
	const amiBefore = lines(path.join(LAB, "ami.jsonl")).length;
	await callButton.click();
	const callDialog = page.getByRole("dialog", { name: /Call/ });
	await callDialog.waitFor();
	check("call dialog offers the contact's number", (await callDialog.locator("input, select").first().inputValue()) === data.phone);
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-call-dialog.png") });
	await callDialog.getByRole("button", { name: "Call" }).click();
	const callToast = await until(async () => (await page.locator(".cc-hd-toast").allInnerTexts()).find((t) => /rings first|not|no /i.test(t)));
	check("click-to-call answered in the page", callToast && /rings first/.test(callToast), callToast);
	const originate = await until(async () =>
		lines(path.join(LAB, "ami.jsonl")).slice(amiBefore).find((a) => a.Action === "Originate"));
	check("the AMI peer got the Originate", originate && JSON.stringify(originate).includes(data.phone.replace("+", "")),
		originate ? `Channel ${originate.Channel}, Exten ${originate.Exten || ""}` : "none");

	// Send SMS: through send_reply to the lab's gateway
	await page.getByRole("button", { name: "Send SMS" }).click();
	const smsDialog = page.getByRole("dialog", { name: /Send SMS/ });
	await smsDialog.locator("textarea").fill("Hello from the helpdesk: a technician calls you today.");
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-sms-dialog.png") });
	await smsDialog.getByRole("button", { name: "Send" }).click();
	const smsToast = await until(async () => (await page.locator(".cc-hd-toast").allInnerTexts()).find((t) => /SMS/.test(t)));
	check("SMS answered in the page", smsToast && /sent/i.test(smsToast), smsToast);
	const sent = fixtures("state", String(data.ticket)).sms.find((m) => m.direction === "Outbound");
	check("CC SMS Message recorded as Sent by the agent", sent && sent.status === "Sent" && sent.sent_by === data.agent,
		sent ? `${sent.name} ${sent.status} to ${sent.recipient}` : "none");
	const gw = lines(path.join(LAB, "sms.jsonl")).pop();
	check("the gateway got the text", gw && gw.form.to === data.phone && /technician/.test(gw.form.text), gw ? JSON.stringify(gw.form) : "none");

	// Handling time (dialog)
	await page.getByRole("button", { name: "Handling time" }).click();
	const clockDialog = page.getByRole("dialog", { name: /clocks/ });
	await clockDialog.waitFor();
	check("handling time dialog", /Reaction due/.test(await clockDialog.innerText()));
	await clockDialog.locator(".cc-hd-primary").click();

	// Snooze: the ticket's record changes; after the reload the header offers Reactivate
	await page.getByRole("button", { name: "Snooze" }).click();
	const snoozeDialog = page.getByRole("dialog", { name: /Snooze/ });
	await snoozeDialog.locator("input[name=reason]").fill("customer away until tomorrow");
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-snooze-dialog.png") });
	await snoozeDialog.getByRole("button", { name: "Snooze" }).click();
	await page.getByRole("button", { name: "Reactivate" }).waitFor({ timeout: 20000 });
	const snoozed = fixtures("state", String(data.ticket)).ticket;
	check("HD Ticket snoozed by the agent", snoozed.cc_snoozed === 1 && snoozed.cc_snoozed_by === data.agent,
		`until ${snoozed.cc_snoozed_until}, reason "${snoozed.cc_snooze_reason}"`);
	check("header now offers Reactivate", true);

	// The incoming-call popup: the AMI bridge's ringing notice, over socket.io
	fixtures("ring");
	const popup = page.getByTestId("cc-call-popup");
	const shown = await popup.waitFor({ timeout: 10000 }).then(() => true, () => false);
	check("incoming-call popup", shown, shown ? (await popup.innerText()).replace(/\s+/g, " ") : "not shown");
	if (shown) await page.screenshot({ path: path.join(SHOTS, "helpdesk-call-popup.png") });
	if (shown) await popup.locator(".cc-hd-x").click();

	// The phone bar in the dock
	const phone = page.getByTestId("cc-phone");
	const head = phone.locator(".cc-phone-head");
	if (await head.count()) {
		await page.waitForTimeout(1500);
		if (!(await phone.locator(".cc-phone-body").isVisible())) await head.click(); // open it
		await page.waitForTimeout(500);
		check("phone bar mounted in the dock", true, (await phone.innerText()).replace(/\s+/g, " ").slice(0, 160));
	} else {
		check("phone bar mounted in the dock", (await phone.innerText()).length > 0, (await phone.innerText()).slice(0, 120));
	}
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-phone-bar.png") });

	// Reactivate again (the owner may), so the check can be repeated
	await page.getByRole("button", { name: "Reactivate" }).click();
	await page.getByRole("dialog", { name: /Reactivate/ }).getByRole("button", { name: "Reactivate" }).click();
	await page.getByRole("button", { name: "Snooze" }).waitFor({ timeout: 20000 });
	check("reactivated", fixtures("state", String(data.ticket)).ticket.cc_snoozed === 0);

	// --- the tickets list: pull the next ticket from the manual team ------------------------------------
	await page.goto(`${BASE}/helpdesk/tickets`, { waitUntil: "networkidle" });
	await page.getByTestId("cc-pull").click();
	const row = page.locator(".cc-hd-team", { hasText: data.team });
	await row.waitFor();
	check("pull menu lists the manual team", /\d+ waiting/.test(await row.innerText()), (await row.innerText()).replace(/\s+/g, " "));
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-pull-next.png") });
	await row.getByRole("button", { name: "Pull" }).click();
	// the first of the queue (weight, then age): not necessarily the one setup just made
	await page.waitForURL(/\/helpdesk\/tickets\/\d+$/, { timeout: 15000 });
	const taken = page.url().split("/").pop();
	check("navigated to the pulled ticket", true, page.url());
	const pulled = fixtures("state", taken);
	check("pulled ticket assigned to the agent", pulled.assignees.includes(data.agent), JSON.stringify(pulled.assignees));
	await page.getByRole("button", { name: "Call contact" }).waitFor({ timeout: 20000 });
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-pulled-ticket.png") });

	await browser.close();
	const failed = results.filter((r) => !r.ok);
	console.log(`\n${results.length - failed.length}/${results.length} checks passed`);
	process.exit(failed.length ? 1 : 0);
})().catch(async (e) => {
	console.error(e);
	if (page) await page.screenshot({ path: "/tmp/helpdesk-e2e-failure.png" }).catch(() => {});
	process.exit(1);
});
