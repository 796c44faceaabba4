// Copyright (c) 2026, callcenter_app developers
// For license information, please see license.txt

frappe.ui.form.on("CC Campaign", {
	onload(frm) {
		frappe.call("callcenter_app.api.settings.timezones").then((r) => {
			frm.set_df_property("default_timezone", "options", r.message || []);
		});
	},
	refresh(frm) {
		const managers = [
			"System Manager",
			"Call Center Manager",
			"Agent Supervisor",
			"Project Manager",
		];
		if (!frm.is_new() && managers.some((role) => frappe.user.has_role(role))) {
			frm.add_custom_button(__("Add contacts by area"), () => add_contacts_by_area(frm));
			// contacts' addresses without a position are not found by area: place them (background job)
			frm.add_custom_button(
				__("Place contacts' addresses on the map"),
				() =>
					frappe
						.call({ method: "callcenter_app.api.geo.geocode_addresses", type: "POST" })
						.then((r) =>
							frappe.show_alert({
								message: __("{0} addresses are being placed in the background", [r.message.queued]),
								indicator: "blue",
							})
						),
				__("Geodialing")
			);
		}
		// Project Managers reset the passwords of their own campaigns' operators (api/security.py checks who)
		const may_set = ["System Manager", "Call Center Manager", "Project Manager"];
		if (!frm.is_new() && (frm.doc.operators || []).length && may_set.some((r) => frappe.user.has_role(r))) {
			frm.add_custom_button(__("Set an operator's password"), () => set_operator_password(frm));
		}
	},
});

function set_operator_password(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Set an operator's password"),
		fields: [
			{
				fieldname: "user",
				fieldtype: "Select",
				label: __("Operator"),
				reqd: 1,
				options: (frm.doc.operators || []).map((row) => ({
					value: row.user,
					label: row.full_name ? `${row.full_name} (${row.user})` : row.user,
				})),
			},
			{ fieldname: "new_password", fieldtype: "Password", label: __("New password"), reqd: 1 },
			{ fieldname: "repeat", fieldtype: "Password", label: __("Repeat the new password"), reqd: 1 },
		],
		primary_action_label: __("Set password"),
		primary_action(values) {
			if (values.new_password !== values.repeat) {
				frappe.msgprint({
					title: __("Passwords differ"),
					indicator: "red",
					message: __("Repeat the new password: it is not the same as the new password"),
				});
				return;
			}
			frappe
				.call({
					method: "callcenter_app.api.security.set_password",
					type: "POST",
					args: { user: values.user, new_password: values.new_password },
					freeze: true,
				})
				.then(() => {
					dialog.hide();
					frappe.show_alert({
						message: __("Password of {0} set; their other sessions ended", [values.user]),
						indicator: "green",
					});
				});
		},
	});
	dialog.show();
}

// Geodialing (geo/service.py): contacts whose address lies in field agents' zones, within a radius of their
// appointments on a date, or around a centre; shows how many would be added before adding them.
function add_contacts_by_area(frm) {
	const method = "callcenter_app.api.geo.";
	const dialog = new frappe.ui.Dialog({
		title: __("Add contacts by area"),
		size: "large",
		fields: [
			{
				fieldname: "agents",
				fieldtype: "MultiSelectList",
				label: __("Field agents"),
				description: __("Their zones; with a date, the radius around their appointments that day"),
				get_data: () =>
					frappe
						.xcall(method + "field_agents")
						.then((agents) =>
							agents.map((a) => ({ value: a.name, description: a.agent_name || a.name }))
						),
			},
			{ fieldname: "radius_km", fieldtype: "Float", label: __("Radius (km)") },
			{ fieldname: "date", fieldtype: "Date", label: __("Appointments on") },
			{ fieldtype: "Column Break" },
			{
				fieldname: "latitude",
				fieldtype: "Float",
				label: __("Or a centre: latitude"),
				precision: 6,
			},
			{ fieldname: "longitude", fieldtype: "Float", label: __("Longitude"), precision: 6 },
			{
				fieldname: "source_campaign",
				fieldtype: "Link",
				options: "CC Campaign",
				label: __("Only contacts on the call list of"),
				description: __("Empty: every contact with a geocoded address"),
			},
			{ fieldtype: "Section Break" },
			{ fieldname: "preview", fieldtype: "HTML" },
		],
		primary_action_label: __("Add contacts"),
		primary_action() {
			frappe.xcall(method + "add_area_contacts", args(), "POST").then((r) => {
				dialog.hide();
				frappe.show_alert({
					message: __("{0} contacts added to {1}", [r.added, frm.doc.name]),
					indicator: "green",
				});
				frm.reload_doc();
			});
		},
	});

	function args() {
		const v = dialog.get_values(true) || {};
		return {
			campaign: frm.doc.name,
			agents: JSON.stringify(v.agents || []),
			radius_km: v.radius_km || null,
			date: v.date || null,
			latitude: v.latitude || v.longitude ? v.latitude : null,
			longitude: v.latitude || v.longitude ? v.longitude : null,
			source_campaign: v.source_campaign || null,
		};
	}

	function show(html) {
		dialog.fields_dict.preview.$wrapper.html(html);
	}

	let timer = null;
	function refresh_preview() {
		clearTimeout(timer);
		timer = setTimeout(() => {
			const a = args();
			if (a.agents === "[]" && a.latitude == null) {
				dialog.get_primary_btn().prop("disabled", true);
				show(`<p class="text-muted">${__("Choose field agents, or a centre and a radius.")}</p>`);
				return;
			}
			show(`<p class="text-muted">${__("Counting…")}</p>`);
			frappe.call({
				method: method + "preview_area_contacts",
				args: a,
				silent: true,
				error: (r) => {
					dialog.get_primary_btn().prop("disabled", true);
					let text = __("The contacts could not be counted.");
					try {
						text = JSON.parse(JSON.parse(r._server_messages)[0]).message;
					} catch (e) {
						// keep the generic text
					}
					show(
						`<p class="text-danger">${frappe.utils.escape_html($("<div>").html(text).text())}</p>`
					);
				},
				callback: (r) => {
					const s = r.message;
					dialog.get_primary_btn().prop("disabled", !s.to_add);
					const rows = s.sample
						.map(
							(c) =>
								`<tr><td>${frappe.utils.escape_html(c.full_name || c.contact)}</td>
								<td>${frappe.utils.escape_html(c.phone)}</td>
								<td>${frappe.utils.escape_html(c.area || "")}</td>
								<td class="text-right">${c.km.toFixed(1)}</td></tr>`
						)
						.join("");
					show(`
						<div class="cc-area-preview">
							<p style="font-size: 1.1em"><b>${__("{0} contacts would be added", [s.to_add])}</b>
							${__("of {0} in the area", [s.matched])}</p>
							<p class="text-muted">${__(
								"Not added: {0} already on the call list, {1} on a do-not-call list, {2} without a usable phone number",
								[s.already, s.dnc, s.no_phone]
							)}</p>
							${
								rows
									? `<table class="table table-sm"><thead><tr><th>${__("Contact")}</th>
									<th>${__("Phone")}</th><th>${__("Area")}</th>
									<th class="text-right">${__("km")}</th></tr></thead><tbody>${rows}</tbody></table>`
									: ""
							}
						</div>`);
					dialog.get_primary_btn().text(__("Add {0} contacts", [s.to_add]));
				},
			});
		}, 400);
	}

	for (const name of ["agents", "radius_km", "date", "latitude", "longitude", "source_campaign"]) {
		dialog.fields_dict[name].df.onchange = refresh_preview;
	}
	dialog.show();
	refresh_preview();
}
