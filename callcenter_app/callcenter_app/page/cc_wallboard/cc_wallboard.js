// Wallboard: a wall screen (dark, large type, full screen) of the call center's live state. The first view
// comes from callcenter_app.api.wallboard.snapshot (read permission on CC Wallboard Settings); then the
// server pushes "callcenter:wallboard" to the realtime room doctype:CC Wallboard Settings (joined only with
// that same permission: frappe.realtime.can_subscribe_doctype), at most once a second (metrics/wallboard.py
// aggregates, metrics/service.py publishes). Nothing here polls the server: a local one-second tick only
// advances the longest waits and the clock between pushes.
frappe.pages["cc-wallboard"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Wallboard"), single_column: true });
	wrapper.cc_wallboard = new callcenter.Wallboard(page, wrapper);
};

frappe.pages["cc-wallboard"].on_page_show = function (wrapper) {
	if (wrapper.cc_wallboard) wrapper.cc_wallboard.show();
};

frappe.pages["cc-wallboard"].on_page_hide = function (wrapper) {
	if (wrapper.cc_wallboard) wrapper.cc_wallboard.hide();
};

frappe.provide("callcenter");

callcenter.Wallboard = class Wallboard {
	constructor(page, wrapper) {
		this.page = page;
		this.wrapper = wrapper;
		this.data = null;
		this.received = 0; // Date.now() when this.data came
		this.updates = 0;
		this.page.set_secondary_action(__("Full Screen"), () => this.fullscreen());
		this.$root = $(`<div class="cc-wb"></div>`).appendTo(this.page.main);
		this.on_push = (data) => this.render(data, true);
	}

	show() {
		$("body").addClass("cc-wb-on");
		frappe.realtime.doctype_subscribe("CC Wallboard Settings");
		frappe.realtime.off("callcenter:wallboard", this.on_push);
		frappe.realtime.on("callcenter:wallboard", this.on_push);
		this.load();
		clearInterval(this.timer);
		this.timer = setInterval(() => this.tick(), 1000);
	}

	hide() {
		$("body").removeClass("cc-wb-on");
		frappe.realtime.off("callcenter:wallboard", this.on_push);
		frappe.realtime.doctype_unsubscribe("CC Wallboard Settings");
		clearInterval(this.timer);
	}

	load() {
		frappe
			.call({ method: "callcenter_app.api.wallboard.snapshot", type: "GET" })
			.then((r) => this.render(r.message, false));
	}

	fullscreen() {
		const el = document.documentElement;
		if (document.fullscreenElement) document.exitFullscreen();
		else if (el.requestFullscreen) el.requestFullscreen();
	}

	esc(v) {
		return frappe.utils.escape_html(v == null ? "" : String(v));
	}

	mmss(seconds) {
		seconds = Math.max(0, Math.floor(seconds || 0));
		const m = Math.floor(seconds / 60);
		const s = seconds % 60;
		return `${m}:${String(s).padStart(2, "0")}`;
	}

	pct(v) {
		return v == null ? "–" : `${Number(v).toFixed(1)}%`;
	}

	render(data, pushed) {
		if (!data) return;
		// a push carries no thresholds and says nothing of liveness: keep those of the first view
		const thresholds = data.thresholds || (this.data && this.data.thresholds) || {};
		this.data = { ...data, thresholds, live: pushed ? true : data.live };
		this.received = Date.now();
		if (pushed) this.updates += 1;
		const d = this.data;
		const t = d.thresholds;
		const late = (s) => t.wait_alert_s && s >= t.wait_alert_s;
		const qos_bad = d.today.qos != null && t.qos_alert_pct && d.today.qos < t.qos_alert_pct;
		const ab_bad =
			d.today.abandon_pct != null && t.abandon_alert_pct && d.today.abandon_pct >= t.abandon_alert_pct;
		const tiles = [
			["waiting", __("Calls waiting"), d.waiting, d.waiting > 0 ? "warn" : ""],
			["longest", __("Longest wait"), this.mmss(d.longest_wait_s), late(d.longest_wait_s) ? "bad" : ""],
			["available", __("Agents available"), d.agents.available, d.agents.available ? "good" : "bad"],
			["qos", __("QoS today"), this.pct(d.today.qos), qos_bad ? "bad" : "good"],
			["abandon", __("Abandoned today"), this.pct(d.today.abandon_pct), ab_bad ? "bad" : ""],
		];
		const queues = d.queues
			.map(
				(q) => `<tr class="${late(q.longest_wait_s) ? "bad" : ""}" data-queue="${this.esc(q.queue)}">
				<td class="name">${this.esc(q.queue)}</td>
				<td class="num ${q.waiting ? "warn" : ""}">${q.waiting}</td>
				<td class="num longest" data-base="${q.longest_wait_s}" data-waiting="${q.waiting}">${this.mmss(
					q.longest_wait_s
				)}</td>
				<td class="num">${q.offered}</td><td class="num">${q.answered}</td>
				<td class="num">${q.abandoned}</td><td class="num">${this.pct(q.qos)}</td>
				<td class="num">${this.pct(q.abandon_pct)}</td></tr>`
			)
			.join("");
		const states = d.agents.by_state
			.map(
				(s) => `<div class="state ${this.state_class(s.state)}">
				<div class="count">${s.count}</div><div class="label">${this.esc(__(s.state))}</div></div>`
			)
			.join("");
		const agents = d.agents.list
			.map(
				(a) => `<span class="agent ${this.state_class(a.state)}" title="${this.esc(a.state)}">${this.esc(
					a.name
				)}</span>`
			)
			.join("");
		const campaigns = d.campaigns
			.map(
				(c) => `<div class="campaign"><div class="cname">${this.esc(c.name)}
				<span>${c.done} / ${c.total}${c.percent == null ? "" : ` · ${c.percent}%`}</span></div>
				<div class="bar"><div style="width:${c.percent || 0}%"></div></div></div>`
			)
			.join("");
		this.$root.html(`
			<div class="top">
				<div class="title">${__("Call Center")}</div>
				<div class="status ${d.live ? "live" : "off"}">${
			d.live ? __("Live") : __("No live feed: queues unknown")
		}</div>
				<div class="clock"></div>
			</div>
			<div class="tiles">${tiles
				.map(
					([key, label, value, cls]) =>
						`<div class="tile ${cls}" data-key="${key}"><div class="value">${this.esc(
							value
						)}</div><div class="label">${label}</div></div>`
				)
				.join("")}</div>
			<div class="cols">
				<div class="panel queues"><h3>${__("Queues")}</h3>
					<table><thead><tr><th>${__("Queue")}</th><th>${__("Waiting")}</th><th>${__(
			"Longest"
		)}</th><th>${__("Offered")}</th><th>${__("Answered")}</th><th>${__("Abandoned")}</th><th>${__(
			"QoS"
		)}</th><th>${__("Abandon")}</th></tr></thead>
					<tbody>${queues || `<tr><td colspan="8" class="empty">${__("No queues")}</td></tr>`}</tbody></table>
				</div>
				<div class="panel agents"><h3>${__("Agents")} <span>${d.agents.logged_in} ${__(
			"logged in"
		)}</span></h3>
					<div class="states">${states || `<div class="empty">${__("Nobody logged in")}</div>`}</div>
					<div class="names">${agents}</div>
				</div>
			</div>
			${campaigns ? `<div class="panel campaigns"><h3>${__("Campaigns")}</h3>${campaigns}</div>` : ""}
			<div class="foot">${__("Updated")} <span class="age"></span> · ${__("pushes")} <span class="pushes">${
			this.updates
		}</span></div>
		`);
		this.tick();
	}

	state_class(state) {
		return { "On call": "oncall", Available: "available" }[state] || "other";
	}

	tick() {
		if (!this.data) return;
		const elapsed = (Date.now() - this.received) / 1000;
		const t = this.data.thresholds || {};
		let longest = 0;
		this.$root.find("td.longest").each((_, el) => {
			const waiting = Number(el.dataset.waiting);
			const s = waiting ? Number(el.dataset.base) + elapsed : 0;
			longest = Math.max(longest, s);
			el.textContent = this.mmss(s);
			$(el).closest("tr").toggleClass("bad", Boolean(waiting && t.wait_alert_s && s >= t.wait_alert_s));
		});
		const tile = this.$root.find('.tile[data-key="longest"]');
		tile.find(".value").text(this.mmss(longest));
		tile.toggleClass("bad", Boolean(longest && t.wait_alert_s && longest >= t.wait_alert_s));
		this.$root.find(".clock").text(frappe.datetime.now_time().slice(0, 5));
		this.$root.find(".age").text(`${Math.floor(elapsed)} s ${__("ago")}`);
	}
};

frappe.dom.set_style(`
body.cc-wb-on { background: #0b0f17; }
body.cc-wb-on .navbar, body.cc-wb-on .page-head { display: none; }
body.cc-wb-on .page-body, body.cc-wb-on .layout-main-section, body.cc-wb-on .page-container { background: #0b0f17; }
body.cc-wb-on .layout-main-section { border: none; }
body.cc-wb-on .container.page-body { max-width: 100%; padding: 0; }
body.cc-wb-on .page-wrapper .page-content { margin-top: 0; }
.cc-wb { color: #e6ebf5; font-size: 22px; padding: 16px 24px; min-height: 100vh; background: #0b0f17; }
.cc-wb .top { display: flex; align-items: baseline; gap: 24px; margin-bottom: 16px; }
.cc-wb .top .title { font-size: 38px; font-weight: 700; flex: 1; }
.cc-wb .top .clock { font-size: 38px; font-variant-numeric: tabular-nums; }
.cc-wb .status { font-size: 20px; padding: 4px 14px; border-radius: 20px; }
.cc-wb .status.live { background: #12391f; color: #4ee37a; }
.cc-wb .status.off { background: #3a2a12; color: #ffb347; }
.cc-wb .tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 16px; margin-bottom: 16px; }
.cc-wb .tile { background: #151c2b; border-radius: 12px; padding: 16px 20px; border-top: 6px solid #2a3550; }
.cc-wb .tile .value { font-size: 88px; font-weight: 700; line-height: 1.05; font-variant-numeric: tabular-nums; }
.cc-wb .tile .label { font-size: 24px; color: #9aa7c0; }
.cc-wb .tile.good { border-top-color: #2fbf5b; }
.cc-wb .tile.warn { border-top-color: #f5a623; }
.cc-wb .tile.warn .value { color: #ffc25c; }
.cc-wb .tile.bad { border-top-color: #ff4d4f; }
.cc-wb .tile.bad .value { color: #ff6b6d; }
.cc-wb .cols { display: grid; grid-template-columns: 3fr 2fr; gap: 16px; }
.cc-wb .panel { background: #151c2b; border-radius: 12px; padding: 12px 20px; margin-bottom: 16px; }
.cc-wb .panel h3 { color: #9aa7c0; font-size: 24px; margin: 4px 0 10px; }
.cc-wb .panel h3 span { font-weight: 400; font-size: 20px; margin-left: 12px; }
.cc-wb table { width: 100%; border-collapse: collapse; }
.cc-wb th { color: #7d8aa5; font-weight: 500; font-size: 18px; text-align: right; padding: 4px 8px; }
.cc-wb th:first-child, .cc-wb td.name { text-align: left; }
.cc-wb td { padding: 6px 8px; border-top: 1px solid #232d42; font-size: 28px; }
.cc-wb td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cc-wb td.warn { color: #ffc25c; font-weight: 700; }
.cc-wb tr.bad td.longest { color: #ff6b6d; font-weight: 700; }
.cc-wb .states { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.cc-wb .state { background: #0f1522; border-radius: 10px; padding: 8px 18px; min-width: 120px; border-left: 6px solid #56607a; }
.cc-wb .state .count { font-size: 56px; font-weight: 700; line-height: 1.1; }
.cc-wb .state .label { color: #9aa7c0; font-size: 20px; }
.cc-wb .state.oncall { border-left-color: #2490ef; }
.cc-wb .state.available { border-left-color: #2fbf5b; }
.cc-wb .names { display: flex; flex-wrap: wrap; gap: 6px; }
.cc-wb .agent { font-size: 18px; padding: 2px 10px; border-radius: 6px; background: #232d42; }
.cc-wb .agent.oncall { background: #123a63; }
.cc-wb .agent.available { background: #14442a; }
.cc-wb .campaign { margin: 6px 0 12px; }
.cc-wb .campaign .cname { display: flex; justify-content: space-between; font-size: 24px; }
.cc-wb .campaign .cname span { color: #9aa7c0; }
.cc-wb .bar { height: 14px; background: #0f1522; border-radius: 7px; overflow: hidden; }
.cc-wb .bar div { height: 100%; background: #2490ef; }
.cc-wb .empty { color: #7d8aa5; font-size: 20px; }
.cc-wb .foot { color: #56607a; font-size: 16px; text-align: right; }
`);
