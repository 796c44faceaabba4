// The desk UI of issue 18, walked in headless Chromium against a served site (not run by CI; see README.md).
// usage: node desk_ui.js http://desk.localhost:8011 OUT_DIR
// Needs: the site set up by desk_site.setup (this script runs it through bench first), playwright-core.
const { chromium } = require("playwright-core");
const { execFileSync } = require("child_process");
const path = require("path");

const [origin, outDir] = process.argv.slice(2);
const site = new URL(origin).hostname;
const BENCH = process.env.BENCH || "/root/frappe-bench";
const APP = process.env.APP || path.resolve(__dirname, "../../..");
const checks = [];

// desk_site.FN(**kwargs) inside the site (bench's Python; `bench execute` only runs installed apps' code)
function bench(fn, kwargs) {
	const code = [
		"import json, frappe, desk_site",
		`frappe.init(site=${JSON.stringify(site)}, sites_path=".")`,
		"frappe.connect()",
		`print("@@" + json.dumps(desk_site.${fn}(**json.loads(${JSON.stringify(JSON.stringify(kwargs || {}))})), default=str))`,
		"frappe.destroy()",
	].join("\n");
	const out = execFileSync(path.join(BENCH, "env/bin/python"), ["-c", code], {
		cwd: path.join(BENCH, "sites"),
		env: { ...process.env, PYTHONPATH: `${APP}:${path.join(APP, "tests/e2e/desk_ui")}` },
	}).toString();
	return JSON.parse(out.slice(out.lastIndexOf("@@") + 2));
}

function check(what, ok, detail) {
	checks.push({ what, ok: !!ok, detail });
	console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` (${detail})` : ""}`);
}

async function login(browser, user, password) {
	const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
	const page = await context.newPage();
	const r = await page.request.post(`${origin}/api/method/login`, { form: { usr: user, pwd: password } });
	if (r.status() !== 200) throw new Error(`login ${user}: ${r.status()}`);
	page.on("pageerror", (e) => console.log(`[${user}] page error: ${e.message}`));
	return page;
}

async function desk(page, route) {
	await page.goto(`${origin}/app/${route}`, { waitUntil: "networkidle", timeout: 120000 });
	await page.waitForTimeout(1500);
}

async function shot(page, name) {
	await page.waitForTimeout(700); // let a dialog finish fading in
	await page.screenshot({ path: path.join(outDir, name) });
	console.log(`     screenshot ${name}`);
}

const button = (page, label) => page.locator(`.page-actions button:visible, .inner-group-button button:visible, .custom-actions button:visible`).filter({ hasText: label }).first();
const dialogText = (page) => page.locator(".modal.show .modal-body").last().innerText();
const closeDialogs = async (page) => {
	await page.evaluate(() => {
		if (frappe.msg_dialog) frappe.msg_dialog.hide();
		[...frappe.ui.open_dialogs].reverse().forEach((d) => d.hide());
	});
	await page.waitForTimeout(800);
};

(async () => {
	const data = bench("setup");
	const { agent, colleague, manager, password } = data.users;
	const browser = await chromium.launch({
		executablePath: "/usr/bin/chromium",
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync"],
	});
	const ana = await login(browser, agent, password);

	// 1. The ticket list: Pull next ticket, Team Queue, Snoozed (2), and the Snoozed indicator
	await desk(ana, "hd-ticket?subject=%25%5Bui%5D%25");
	check("list: Pull next ticket button", await button(ana, "Pull next ticket").isVisible());
	check("list: Team Queue button", await button(ana, "Team Queue").isVisible());
	check("list: Snoozed (2) button", await button(ana, "Snoozed (2)").isVisible());
	check("list: no Distribute now for an agent", !(await button(ana, "Distribute now").isVisible()));
	check("list: snoozed rows show the Snoozed indicator", (await ana.locator(".list-row .indicator-pill", { hasText: "Snoozed" }).count()) >= 2);
	await shot(ana, "desk-ticket-list.png");

	// 2. The snooze list: what, until when, by whom; reactivate ana's own, not ben's
	await button(ana, "Snoozed (2)").click();
	await ana.waitForSelector(".modal.show .cc-reactivate");
	const listed = await dialogText(ana);
	check("snooze list: both snoozed tickets with reason and who", listed.includes("Courier answers by tomorrow noon") && listed.includes("Return parcel on its way") && listed.includes(colleague));
	check("snooze list: ben's ticket is not ana's to reactivate", listed.includes("Not yours"));
	await shot(ana, "desk-snooze-list.png");
	await ana.locator(`.modal.show .cc-reactivate[data-ticket="${data.snoozed[agent]}"]`).click();
	await ana.waitForTimeout(1500);
	check("snooze list: reactivated", bench("state", { ticket: data.snoozed[agent] }).cc_snoozed === "0");
	await closeDialogs(ana);

	// 3. Pull next ticket from the list: choose the team, see its queue, pull, land on the ticket
	await desk(ana, "hd-ticket");
	await button(ana, "Pull next ticket").click();
	await ana.waitForSelector(".modal.show table");
	await ana.locator(".modal.show select[data-fieldname=team]").selectOption("UI Support");
	await ana.waitForTimeout(500);
	const queueText = await dialogText(ana);
	check("pull dialog: the team's queue, heaviest first", queueText.indexOf("Router keeps restarting") < queueText.indexOf("Invoice shows"), queueText.split("\n").slice(0, 3).join(" | "));
	await shot(ana, "desk-pull-dialog.png");
	await ana.locator(".modal.show .btn-primary", { hasText: "Pull next" }).click();
	await ana.waitForURL(/\/app\/hd-ticket\/\d+/, { timeout: 20000 });
	const pulled = ana.url().split("/").pop();
	check("pull next: opened the heaviest ticket, assigned to ana", pulled === String(data.support[2]) && (bench("state", { ticket: pulled })._assign || "").includes(agent), pulled);

	// 4. The Team Queue page: both of ana's teams; pull one; the race with ben
	await desk(ana, "cc-team-queue");
	await ana.waitForSelector(".cc-tq-team");
	check("team queue: ana's two manual teams", (await ana.locator(".cc-tq-team").count()) === 2);
	check("team queue: ana's seat in UI Support", (await ana.locator('.cc-tq-team[data-team="UI Support"]').innerText()).includes("You hold 3 of 4"));
	await shot(ana, "desk-team-queue.png");
	const ben = await login(browser, colleague, password);
	await desk(ben, "cc-team-queue");
	const raced = data.support[1];
	const benPulled = await ben.evaluate(
		(t) =>
			new Promise((resolve) =>
				frappe.call({
					method: "callcenter_app.api.tickets.pull",
					args: { ticket: t },
					callback: (r) => resolve(JSON.stringify(r.message)),
					error: (r) => resolve(`error ${JSON.stringify(r && (r._server_messages || r.exc_type || r.statusText))}`),
				})
			),
		raced
	);
	check("team queue race: ben pulled the ticket first", benPulled.includes(colleague), benPulled);
	await ana.locator(`.cc-tq-pull[data-ticket="${raced}"]`).click(); // ana's page still shows it
	await ana.waitForSelector(".modal.show .msgprint");
	const refused = await ana.locator(".modal.show .msgprint").innerText();
	check("team queue race: ana is told ben took it", refused.includes(`was already taken by ${colleague}`), refused);
	await shot(ana, "desk-team-queue-race.png");
	await closeDialogs(ana);
	await ana.waitForTimeout(800);
	await ana.locator(`.cc-tq-pull[data-ticket="${data.sales[0]}"]`).click();
	await ana.waitForURL(new RegExp(`/app/hd-ticket/${data.sales[0]}$`), { timeout: 20000 });
	check("team queue: Pull opened the ticket", (bench("state", { ticket: data.sales[0] })._assign || "").includes(agent));

	// 5. The ticket form: Call (no number: type one; two numbers: choose), Snooze with validation, handling
	// time, reaction due
	const requests = [];
	ana.on("request", (r) => {
		if (r.url().includes("click_to_call")) requests.push(r.postData() || r.url());
	});
	await ana.waitForSelector(".form-dashboard .cc-panel", { timeout: 20000 });
	await button(ana, "Call").click();
	await ana.waitForSelector(".modal.show input[data-fieldname=number]");
	await ana.locator(".modal.show input[data-fieldname=number]").fill("+37060000001");
	await ana.locator(".modal.show .btn-primary", { hasText: "Call" }).click();
	await ana.waitForSelector(".modal.show .msgprint", { timeout: 20000 });
	check("call, no number on the ticket: typed one, the request carried the ticket", requests.some((b) => b.includes(`ticket=${data.sales[0]}`)), requests.join(" ; "));
	await closeDialogs(ana);
	await desk(ana, `hd-ticket/${data.mine}`);
	await ana.waitForSelector(".form-dashboard .cc-panel", { timeout: 20000 });
	const indicators = await ana.locator(".form-dashboard").innerText();
	check("form: handling time and reaction due shown", indicators.includes("Handling time: 21 min") && indicators.includes("Reaction due in"), indicators.replace(/\s+/g, " "));
	check("form: Snooze and Send SMS buttons", (await button(ana, "Snooze").isVisible()) && (await button(ana, "Send SMS").isVisible()));
	await button(ana, "Call").click();
	await ana.waitForTimeout(400);
	await shot(ana, "desk-ticket-form.png");
	await ana.locator(".dropdown-menu.show .dropdown-item", { hasText: "+370 600 12345" }).click();
	await ana.waitForSelector(".modal.show .msgprint", { timeout: 20000 });
	const callError = await ana.locator(".modal.show .msgprint").innerText();
	check("call: the request carried the ticket", requests.some((b) => b.includes(`ticket=${data.mine}`) || b.includes(`"ticket":"${data.mine}"`)), requests.join(" ; "));
	check("call: without a PBX, a clear error", callError.length > 0, callError);
	await shot(ana, "desk-call-no-pbx.png");
	await closeDialogs(ana);

	const snoozeDialog = async (hours, reason) => {
		await button(ana, "Snooze").click();
		await ana.waitForSelector(".modal.show textarea[data-fieldname=reason]");
		await ana.waitForTimeout(500);
		await ana.evaluate(
			(h) =>
				(frappe.ui.open_dialogs.at(-1) || cur_dialog).set_value(
					"until",
					moment(frappe.datetime.system_datetime(), "YYYY-MM-DD HH:mm:ss").add(h, "hours").format("YYYY-MM-DD HH:mm:00")
				),
			hours
		);
		await ana.locator(".modal.show textarea[data-fieldname=reason]").fill(reason);
		await ana.locator(".modal.show .btn-primary", { hasText: "Snooze" }).click();
	};
	await snoozeDialog(-1, "Customer is travelling");
	await ana.waitForSelector(".modal.show .msgprint");
	check("snooze: a time in the past is refused in the browser", (await ana.locator(".modal.show .msgprint").innerText()).includes("Snoozed until: must be in the future"));
	await shot(ana, "desk-snooze-refused.png");
	await closeDialogs(ana);
	const server = await ana.evaluate(async (t) => {
		const out = [];
		for (const args of [{ ticket: t, until: "2020-01-01 10:00:00", reason: "late" }, { ticket: t, until: moment(frappe.datetime.system_datetime(), "YYYY-MM-DD HH:mm:ss").add(2, "days").format("YYYY-MM-DD HH:mm:ss"), reason: "" }]) {
			out.push(
				await new Promise((resolve) =>
					frappe.call({
						method: "callcenter_app.api.tickets.snooze",
						args,
						callback: () => resolve("accepted"),
						error: (r) => resolve(JSON.parse(JSON.parse(r._server_messages)[0]).message),
					})
				)
			);
		}
		return out;
	}, String(data.mine));
	check("snooze: the server refuses a past time and a missing reason by name", server[0].includes("Snoozed until: must be in the future") && server[1].includes("Snooze reason: is required"), server.join(" | "));
	check("snooze: nothing written by the refusals", bench("state", { ticket: data.mine }).cc_snoozed === "0");
	await closeDialogs(ana);
	await snoozeDialog(20, "Customer is travelling");
	await ana.waitForSelector(".form-message.orange", { timeout: 20000 });
	await ana.waitForTimeout(1500);
	const headline = await ana.locator(".form-message.orange").first().innerText();
	check("snooze: the form says until when, by whom, why", headline.includes("Snoozed until") && headline.includes(agent) && headline.includes("Customer is travelling"), headline);
	check("snooze: Reactivate offered", await button(ana, "Reactivate").isVisible());
	await shot(ana, "desk-ticket-snoozed.png");
	await button(ana, "Reactivate").click();
	await ana.waitForTimeout(2500);
	check("reactivate: the ticket is active again", bench("state", { ticket: data.mine }).cc_snoozed === "0" && (await button(ana, "Snooze").isVisible()));

	// 6. Distribute now, as the Agent Manager: what it assigned and what still waits
	bench("presence", { user: colleague, logged_in: 1 });
	const mia = await login(browser, manager, password);
	await desk(mia, "hd-ticket");
	check("list: Distribute now for the manager", await button(mia, "Distribute now").isVisible());
	await button(mia, "Distribute now").click();
	await mia.waitForSelector(".modal.show .msgprint", { timeout: 30000 });
	const report = await mia.locator(".modal.show .msgprint").innerText();
	check("distribute now: says what it assigned", report.includes("2 tickets assigned") && report.includes(colleague) && report.includes("1 ticket still waits"), report.replace(/\s+/g, " "));
	await shot(mia, "desk-distribute-now.png");
	bench("presence", { user: colleague, logged_in: 0 });

	await browser.close();
	const failed = checks.filter((c) => !c.ok);
	console.log(`\n${checks.length - failed.length}/${checks.length} checks passed`);
	process.exit(failed.length ? 1 : 0);
})().catch((e) => {
	console.error(e);
	process.exit(2);
});
