// Copyright (c) 2026, callcenter_app developers
// For license information, please see license.txt

const CC_NODE_COLORS = {
	"Time Condition": "#e0f2fe",
	Holiday: "#fef3c7",
	VIP: "#fce7f3",
	"IVR Menu": "#ede9fe",
	Announcement: "#f1f5f9",
	Queue: "#dcfce7",
	Forward: "#ffedd5",
	Voicemail: "#e2e8f0",
	"Hang Up": "#fee2e2",
	"Go to Route": "#e0e7ff",
};

frappe.ui.form.on("CC Route", {
	refresh(frm) {
		cc_route_draw(frm);
		if (!frm.is_new()) {
			frm.add_custom_button(__("Test this route"), () => cc_route_test_dialog(frm));
		}
	},
	start_node: cc_route_draw,
	nodes_on_form_rendered: cc_route_draw,
});

frappe.ui.form.on("CC Route Node", {
	node_id: cc_route_draw,
	node_type: cc_route_draw,
	label: cc_route_draw,
	nodes_remove: cc_route_draw,
});

frappe.ui.form.on("CC Route Branch", {
	from_node: cc_route_draw,
	to_node: cc_route_draw,
	branch: cc_route_draw,
	branches_remove: cc_route_draw,
});

// Layered drawing of the call path: the start node on top, each node one row below the first node
// that reaches it; edges carry their branch names. Plain SVG, no library.
function cc_route_draw(frm) {
	const nodes = (frm.doc.nodes || []).filter((n) => n.node_id);
	const edges = (frm.doc.branches || []).filter((b) => b.from_node && b.to_node);
	const wrapper = frm.get_field("graph_html").$wrapper;
	if (!nodes.length) {
		wrapper.html(`<p class="text-muted">${__("Add nodes and branches to see the call path.")}</p>`);
		return;
	}
	const byId = Object.fromEntries(nodes.map((n) => [n.node_id, n]));
	// one arrow per (from, to) pair, labelled with all its branches ("timeout, invalid")
	const merged = {};
	for (const e of edges) {
		if (!byId[e.from_node] || !byId[e.to_node]) continue;
		const key = `${e.from_node}\u0000${e.to_node}`;
		(merged[key] = merged[key] || { from: e.from_node, to: e.to_node, labels: [] }).labels.push(e.branch);
	}
	const arrows = Object.values(merged);
	const out = (id) => arrows.filter((a) => a.from === id);
	// back edges (those closing a loop, e.g. an IVR "invalid" going back to its prompt) are found by DFS
	// from the start node; the rest form a DAG laid out by longest path, so every forward arrow points down
	const state = {};
	const back = new Set();
	const visit = (id) => {
		state[id] = 1;
		for (const a of out(id)) {
			if (state[a.to] === 1) back.add(a);
			else if (!state[a.to]) visit(a.to);
		}
		state[id] = 2;
	};
	if (byId[frm.doc.start_node]) visit(frm.doc.start_node);
	const depth = {};
	const order = [];
	const done = {};
	const topo = (id) => {
		if (done[id]) return;
		done[id] = true;
		for (const a of out(id)) if (!back.has(a)) topo(a.to);
		order.unshift(id);
	};
	if (byId[frm.doc.start_node]) topo(frm.doc.start_node);
	for (const id of order) depth[id] = depth[id] || 0;
	for (const id of order) {
		for (const a of out(id)) {
			if (!back.has(a) && state[a.to]) depth[a.to] = Math.max(depth[a.to] || 0, depth[id] + 1);
		}
	}
	const maxDepth = Math.max(0, ...Object.values(depth));
	nodes.forEach((n) => {
		if (depth[n.node_id] === undefined) depth[n.node_id] = maxDepth + 1; // unreachable: last row
	});
	const rows = {};
	nodes.forEach((n) => (rows[depth[n.node_id]] = rows[depth[n.node_id]] || []).push(n));
	const W = 150,
		H = 46,
		GX = 36,
		GY = 70;
	const pos = {};
	const width = Math.max(...Object.values(rows).map((r) => r.length)) * (W + GX) + GX + 120;
	const parentsX = (id) =>
		arrows.filter((a) => a.to === id && pos[a.from] && !back.has(a)).map((a) => pos[a.from].x);
	Object.keys(rows)
		.map(Number)
		.sort((a, b) => a - b)
		.forEach((d) => {
			const row = rows[d];
			// order each row by the mean x of its parents to keep arrows from crossing
			const key = (n) => {
				const xs = parentsX(n.node_id);
				return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
			};
			row.sort((a, b) => key(a) - key(b));
			const offset = (width - 120 - row.length * (W + GX) + GX) / 2;
			row.forEach((n, i) => (pos[n.node_id] = { x: offset + i * (W + GX), y: GX + d * (H + GY) }));
		});
	const height = (Math.max(...Object.keys(rows).map(Number)) + 1) * (H + GY) + GX;
	const esc = frappe.utils.escape_html;
	let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" class="cc-route-graph">
		<defs><marker id="cc-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
		<path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>`;
	for (const a of arrows) {
		const p = pos[a.from],
			q = pos[a.to];
		const label = esc(a.labels.join(", "));
		if (back.has(a)) {
			// loop back: leave on the right side, come in on the right side
			const x1 = p.x + W,
				y1 = p.y + H / 2,
				x2 = q.x + W,
				y2 = q.y + H / 2;
			const bend = Math.max(x1, x2) + 50 + (a.from === a.to ? 0 : 20);
			svg += `<path d="M${x1},${y1} C${bend},${y1} ${bend},${y2} ${x2},${y2}" fill="none" stroke="#94a3b8"
				stroke-dasharray="5 3" stroke-width="1.3" marker-end="url(#cc-arrow)"/>`;
			svg += `<text x="${bend - 6}" y="${(y1 + y2) / 2}" font-size="11" fill="#64748b">${label}</text>`;
			continue;
		}
		const x1 = p.x + W / 2,
			y1 = p.y + H,
			x2 = q.x + W / 2,
			y2 = q.y;
		svg += `<path d="M${x1},${y1} C${x1},${y1 + GY * 0.6} ${x2},${y2 - GY * 0.6} ${x2},${y2}" fill="none"
			stroke="#64748b" stroke-width="1.3" marker-end="url(#cc-arrow)"/>`;
		// label on the curve: mid-way for one-row arrows, near the source for long ones (which pass nodes)
		const t = depth[a.to] - depth[a.from] > 1 ? 0.12 : 0.5;
		const bez = (p0, p1, p2, p3) =>
			(1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3;
		const lx = bez(x1, x1, x2, x2),
			ly = bez(y1, y1 + GY * 0.6, y2 - GY * 0.6, y2);
		svg += `<text x="${lx}" y="${ly + 4}" text-anchor="middle" font-size="11" fill="#334155"
			paint-order="stroke" stroke="#fff" stroke-width="3">${label}</text>`;
	}
	for (const n of nodes) {
		const p = pos[n.node_id];
		const unreachable = depth[n.node_id] > maxDepth;
		svg += `<g><rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="8" fill="${CC_NODE_COLORS[n.node_type] || "#fff"}"
			stroke="${n.node_id === frm.doc.start_node ? "#0f172a" : unreachable ? "#dc2626" : "#94a3b8"}"
			stroke-width="${n.node_id === frm.doc.start_node ? 2 : 1}" ${unreachable ? 'stroke-dasharray="4 3"' : ""}/>
			<text x="${p.x + 8}" y="${p.y + 18}" font-size="12" font-weight="600" fill="#0f172a">${esc(n.label || n.node_id)}</text>
			<text x="${p.x + 8}" y="${p.y + 35}" font-size="11" fill="#475569">${esc(n.node_type || "")}${
			n.label ? " · " + esc(n.node_id) : ""
		}</text></g>`;
	}
	svg += "</svg>";
	wrapper.html(`<div style="overflow:auto; max-height:960px; border:1px solid var(--border-color); border-radius:8px; padding:8px">${svg}</div>`);
}

function cc_route_test_dialog(frm) {
	const d = new frappe.ui.Dialog({
		title: __("Test this route"),
		size: "large",
		fields: [
			{ fieldname: "caller", fieldtype: "Data", label: __("Caller Number") },
			{ fieldname: "at", fieldtype: "Datetime", label: __("Date and Time"), description: __("Empty: now") },
			{ fieldtype: "Column Break" },
			{ fieldname: "digits", fieldtype: "Data", label: __("Digits at Each Menu"), description: __("Comma-separated, e.g. ,1 = nothing, then 1") },
			{ fieldname: "queue_results", fieldtype: "Data", label: __("Queue Results"), description: __("answered, timeout, full … (comma-separated)") },
			{ fieldname: "dial_results", fieldtype: "Data", label: __("Forward Results"), description: __("answered, busy, noanswer …") },
			{ fieldtype: "Section Break" },
			{ fieldname: "result", fieldtype: "HTML" },
		],
		primary_action_label: __("Run"),
		primary_action(values) {
			frappe
				.call("callcenter_app.api.routes.test_route", { route: frm.doc.name, ...values })
				.then((r) => {
					const rows = r.message.steps
						.map(
							(s, i) => `<tr><td>${i + 1}</td><td>${frappe.utils.escape_html(s.node || "-")}</td>
							<td>${frappe.utils.escape_html(s.branch || "")}</td><td>${frappe.utils.escape_html(s.reason)}</td></tr>`
						)
						.join("");
					const outcome = r.message.outcome
						? `${r.message.outcome.result} ${r.message.outcome.target || ""}`
						: __("caller hung up");
					d.fields_dict.result.$wrapper.html(`<table class="table table-sm">
						<thead><tr><th>#</th><th>${__("Node")}</th><th>${__("Branch")}</th><th>${__("Reason")}</th></tr></thead>
						<tbody>${rows}</tbody></table><p><b>${__("Outcome")}:</b> ${frappe.utils.escape_html(outcome)}</p>`);
				});
		},
	});
	d.show();
}
