// The browser check of the app's tools in Helpdesk's agent UI (README.md here says how to run it).
// An agent logs in on the bench site, opens a ticket in /helpdesk, checks the header keeps one line at
// 1100, 1280 and 1400 px, uses Call contact and, from the "Call center" menu, Send SMS, Handling time,
// Transfer, Snooze, then pulls the next ticket from the tickets list; a ringing notice shows the popup. Each
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

// BUNDLE=file: this checkout's bundle (bundle.cjs) in place of the one the site's assets hold
const BUNDLE_URL = /\/assets\/callcenter_app\/dist\/js\/cc_helpdesk\.bundle\.[^/]*\.js(\?.*)?$/;
const serveBundle = (route) => route.fulfill({ path: process.env.BUNDLE, contentType: "application/javascript" });

// The form script's other tools are items of one dropdown in Helpdesk's header.
async function tool(name) {
	await page.getByRole("button", { name: "Call center" }).click();
	const item = page.getByRole("menuitem", { name });
	await item.waitFor({ timeout: 5000 });
	await item.click();
}

async function menuItems() {
	await page.getByRole("button", { name: "Call center" }).click();
	const items = page.getByRole("menuitem");
	await items.first().waitFor({ timeout: 5000 });
	const labels = (await items.allInnerTexts()).map((t) => t.trim());
	await page.keyboard.press("Escape");
	await items.first().waitFor({ state: "detached", timeout: 5000 }).catch(() => {});
	return labels;
}

// Helpdesk's header (#app-header > header) on one line: every control in its right half has the same
// vertical middle and keeps its label on one line, the header is its usual height, nothing sticks out of
// it and the title (the ticket's subject) ends before the first button.
async function headerLayout(p) {
	return p.evaluate(() => {
		const header = document.querySelector("#app-header header");
		if (!header) return null;
		const box = header.getBoundingClientRect();
		const [left, right] = [header.children[0], header.children[header.children.length - 1]];
		const controls = [...right.querySelectorAll("button")].filter((b) => b.offsetParent);
		const rects = controls.map((b) => b.getBoundingClientRect());
		const title = [...left.querySelectorAll("span")].map((s) => s.getBoundingClientRect().right);
		return {
			height: Math.round(box.height),
			labels: controls.map((b) => b.innerText.replace(/\s+/g, " ").trim() || b.getAttribute("aria-label") || "?"),
			rows: new Set(rects.map((r) => Math.round(r.top + r.height / 2))).size,
			wrapped: controls.filter((b, i) => [...b.querySelectorAll("span")].some((s) => s.getBoundingClientRect().height > rects[i].height + 1)).length,
			inside: rects.every((r) => r.left >= box.left - 1 && r.right <= box.right + 1 && r.bottom <= box.bottom + 1),
			overflow: header.scrollWidth > header.clientWidth + 1,
			titleClear: rects.length > 0 && Math.max(...title) <= rects[0].left + 1,
		};
	});
}

async function checkHeader(what, width, height, shot, p = page) {
	await p.setViewportSize({ width, height });
	await p.mouse.move(width / 2, height / 2); // no hover on a header button in the screenshot
	await p.waitForTimeout(600);
	const layout = await headerLayout(p);
	check(`header on one line at ${width} px${what}`,
		layout && layout.rows === 1 && !layout.wrapped && layout.inside && !layout.overflow && layout.titleClear && layout.height <= 44,
		layout ? `height ${layout.height}px, ${layout.rows} row(s), ${layout.wrapped} wrapped label(s), title ${layout.titleClear ? "clear" : "under the buttons"}: ${layout.labels.join(" | ")}` : "no header");
	await p.screenshot({ path: shot });
}

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
	if (process.env.BUNDLE) await context.route(BUNDLE_URL, serveBundle);
	page = await context.newPage();
	page.on("pageerror", (e) => console.log("pageerror:", e.message));
	const login = await page.request.post(`${BASE}/api/method/login`, { form: { usr: data.agent, pwd: data.password } });
	check("agent logs in", login.ok(), `HTTP ${login.status()}`);

	// --- a ticket: the actions in Helpdesk's header ----------------------------------------------------
	await page.goto(`${BASE}/helpdesk/tickets/${data.ticket}`, { waitUntil: "networkidle" });
	const callButton = page.getByRole("button", { name: "Call contact" });
	await callButton.waitFor({ timeout: 20000 });
	const items = await menuItems();
	check("ticket header: Call contact and the Call center menu",
		await page.getByRole("button", { name: "Call center" }).isVisible() &&
			["Send SMS", "Transfer", "Snooze", "Handling time"].every((label) => items.includes(label)),
		items.join(", "));
	const clock = page.getByTestId("cc-clock");
	await clock.getByTestId("cc-handling").waitFor({ timeout: 10000 });
	check("dock shows the ticket clock", /Handling time/.test(await clock.innerText()), (await clock.innerText()).replace(/\s+/g, " "));

	// the header on one line at the widths agents use (it wrapped at 1100 px with five buttons), also with a
	// subject too long for it
	await checkHeader("", 1100, 800, path.join(SHOTS, "helpdesk-ticket-actions-1100.png"));
	await checkHeader("", 1280, 800, path.join(LAB, "helpdesk-ticket-actions-1280.png"));
	await checkHeader("", 1400, 860, path.join(SHOTS, "helpdesk-ticket-actions.png"));
	// the long subject in a second browser context (its own storage: the first page's phone bar keeps its tab)
	const subject = fixtures("state", String(data.ticket)).ticket.subject;
	fixtures("subject", String(data.ticket), `${subject}: every hour since Monday, the customer cannot work from home`);
	const other = await browser.newContext({ viewport: { width: 1100, height: 800 } });
	if (process.env.BUNDLE) await other.route(BUNDLE_URL, serveBundle);
	const long = await other.newPage();
	await long.request.post(`${BASE}/api/method/login`, { form: { usr: data.agent, pwd: data.password } });
	await long.goto(`${BASE}/helpdesk/tickets/${data.ticket}`, { waitUntil: "networkidle" });
	await long.getByRole("button", { name: "Call contact" }).waitFor({ timeout: 20000 });
	for (const width of [1100, 1280]) {
		await checkHeader(", a long subject", width, 800, path.join(LAB, `helpdesk-ticket-long-subject-${width}.png`), long);
	}
	await other.close();
	fixtures("subject", String(data.ticket), subject);
	await page.setViewportSize({ width: 1100, height: 800 });
	await page.getByRole("button", { name: "Call center" }).click();
	await page.getByRole("menuitem", { name: "Snooze" }).waitFor();
	await page.waitForTimeout(400); // the menu's fade-in
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-ticket-menu.png") });
	await page.keyboard.press("Escape");
	await page.setViewportSize({ width: 1400, height: 860 });

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
	if (await callDialog.isVisible()) await callDialog.locator(".cc-hd-x").click(); // refused: the message stays in it
	const originate = await until(async () =>
		lines(path.join(LAB, "ami.jsonl")).slice(amiBefore).find((a) => a.Action === "Originate"));
	check("the AMI peer got the Originate", originate && JSON.stringify(originate).includes(data.phone.replace("+", "")),
		originate ? `Channel ${originate.Channel}, Exten ${originate.Exten || ""}` : "none");

	// Send SMS: through send_reply to the lab's gateway
	await tool("Send SMS");
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
	await tool("Handling time");
	const clockDialog = page.getByRole("dialog", { name: /clocks/ });
	await clockDialog.waitFor();
	check("handling time dialog", /Reaction due/.test(await clockDialog.innerText()));
	await clockDialog.locator(".cc-hd-primary").click();

	// Transfer (the dialog; there is no call to transfer in this lab)
	await tool("Transfer");
	const transferDialog = page.getByRole("dialog", { name: /Transfer/ });
	await transferDialog.waitFor();
	check("transfer dialog", await transferDialog.locator("input[name=target]").isVisible());
	await transferDialog.locator(".cc-hd-x").click();

	// Snooze: the ticket's record changes; after the reload the header offers Reactivate
	await tool("Snooze");
	const snoozeDialog = page.getByRole("dialog", { name: /Snooze/ });
	await snoozeDialog.locator("input[name=reason]").fill("customer away until tomorrow");
	await page.screenshot({ path: path.join(SHOTS, "helpdesk-snooze-dialog.png") });
	const reloaded = page.waitForEvent("load", { timeout: 20000 });
	await snoozeDialog.getByRole("button", { name: "Snooze" }).click();
	await reloaded;
	await callButton.waitFor({ timeout: 20000 });
	// the reloaded page has the phone at once: the page it replaced gave its lease back when it went
	// (before, /helpdesk's dock kept it, and the new page said "Phone active in another tab" for up to 8 s)
	const phoneNow = page.getByTestId("cc-phone");
	await phoneNow.locator(".cc-phone-status").waitFor({ timeout: 5000 }).catch(() => {});
	await page.waitForTimeout(500);
	const afterReload = (await phoneNow.innerText()).replace(/\s+/g, " ");
	check("after a reload the phone is this page's at once", !/another tab/i.test(afterReload), afterReload.slice(0, 120));
	const snoozed = fixtures("state", String(data.ticket)).ticket;
	check("HD Ticket snoozed by the agent", snoozed.cc_snoozed === 1 && snoozed.cc_snoozed_by === data.agent,
		`until ${snoozed.cc_snoozed_until}, reason "${snoozed.cc_snooze_reason}"`);
	check("header menu now offers Reactivate", (await menuItems()).includes("Reactivate"));

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
	await tool("Reactivate");
	const reactivated = page.waitForEvent("load", { timeout: 20000 });
	await page.getByRole("dialog", { name: /Reactivate/ }).getByRole("button", { name: "Reactivate" }).click();
	await reactivated;
	await callButton.waitFor({ timeout: 20000 });
	check("reactivated", fixtures("state", String(data.ticket)).ticket.cc_snoozed === 0 && (await menuItems()).includes("Snooze"));

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
