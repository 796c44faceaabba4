// CC Security: Frappe's login security (System Settings' own fields) at a glance, with buttons to switch
// each feature on, the roles that must use two-factor authentication, and every desk user's restrict-IP and
// password. Server side: callcenter_app/api/security.py (Call Center Managers and System Managers only).
frappe.pages["cc-security"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("CC Security"), single_column: true });
	wrapper.cc_security = new callcenter.SecurityPage(page);
};

frappe.pages["cc-security"].on_page_show = function (wrapper) {
	if (wrapper.cc_security) wrapper.cc_security.load();
};

frappe.provide("callcenter");

callcenter.SecurityPage = class SecurityPage {
	constructor(page) {
		this.page = page;
		this.body = $(`<div class="cc-security" style="max-width: 980px; padding-top: 16px"></div>`).appendTo(page.body);
		page.set_secondary_action(__("System Settings"), () => frappe.set_route("Form", "System Settings"));
		page.set_primary_action(__("Refresh"), () => this.load());
	}

	call(method, args) {
		return frappe.call({ method: `callcenter_app.api.security.${method}`, args, freeze: true }).then((r) => r.message);
	}

	load() {
		return this.call("summary").then((data) => this.render(data));
	}

	render(data) {
		const esc = frappe.utils.escape_html;
		const checks = data.checks
			.map(
				(c) => `<tr>
					<td><span class="indicator-pill ${c.on ? "green" : "orange"}">${c.on ? __("On") : __("Off")}</span></td>
					<td><b>${esc(__(c.label))}</b><div class="text-muted small">${esc(c.detail)}</div></td>
					<td class="text-right">${
						c.on ? "" : `<button class="btn btn-xs btn-primary" data-enable="${esc(c.key)}">${__("Switch on")}</button>`
					}</td></tr>`
			)
			.join("");
		const roles = data.staff_roles
			.map((r) => {
				const on = data.two_factor_roles.includes(r);
				return `<label class="mr-3" style="font-weight: normal"><input type="checkbox" data-role="${esc(r)}" ${
					on ? "checked" : ""
				}> ${esc(__(r))}</label>`;
			})
			.join("");
		const users = data.users
			.map(
				(u) => `<tr>
					<td>${esc(u.full_name || u.name)}<div class="text-muted small">${esc(u.name)}</div></td>
					<td class="small">${esc(u.roles.join(", "))}</td>
					<td>${u.restrict_ip ? esc(u.restrict_ip) : `<span class="text-muted">${__("any address")}</span>`}</td>
					<td class="small text-muted">${esc(u.last_ip || "")}</td>
					<td class="text-right">
						<button class="btn btn-xs btn-default" data-ip="${esc(u.name)}" data-current="${esc(u.restrict_ip || "")}">${__("Restrict IP")}</button>
						<button class="btn btn-xs btn-default" data-password="${esc(u.name)}">${__("Set password")}</button>
					</td></tr>`
			)
			.join("");
		this.body.html(`
			<div class="frappe-card p-3 mb-4">
				<h5>${__("Login security")}</h5>
				<p class="text-muted small">${__("These are System Settings' own fields; switching one on saves System Settings.")}</p>
				<table class="table table-sm"><tbody>${checks}</tbody></table>
			</div>
			<div class="frappe-card p-3 mb-4">
				<h5>${__("Roles that must use two-factor authentication")}</h5>
				<div>${roles}</div>
			</div>
			<div class="frappe-card p-3 mb-4">
				<h5>${__("Desk users")}</h5>
				<table class="table table-sm">
					<thead><tr><th>${__("User")}</th><th>${__("Roles")}</th><th>${__("Allowed addresses")}</th><th>${__("Last address")}</th><th></th></tr></thead>
					<tbody>${users}</tbody>
				</table>
				<p class="text-muted small">${__("Client certificates (mTLS) in front of the site: see docs/security.md.")}</p>
			</div>`);
		this.body.find("[data-enable]").on("click", (e) =>
			this.call("enable", { feature: $(e.currentTarget).attr("data-enable") }).then((d) => this.render(d))
		);
		this.body.find("[data-role]").on("change", (e) =>
			this.call("require_two_factor", { role: $(e.currentTarget).attr("data-role"), on: e.currentTarget.checked ? 1 : 0 }).then((d) =>
				this.render(d)
			)
		);
		this.body.find("[data-ip]").on("click", (e) => this.restrict_ip($(e.currentTarget).attr("data-ip"), $(e.currentTarget).attr("data-current")));
		this.body.find("[data-password]").on("click", (e) => this.set_password($(e.currentTarget).attr("data-password")));
	}

	restrict_ip(user, current) {
		frappe.prompt(
			[{ fieldname: "restrict_ip", fieldtype: "Small Text", label: __("Allowed addresses (comma separated; empty: any)"), default: current }],
			(values) => this.call("set_restrict_ip", { user, restrict_ip: values.restrict_ip || "" }).then(() => this.load()),
			__("Restrict IP of {0}", [user])
		);
	}

	set_password(user) {
		frappe.prompt(
			[{ fieldname: "new_password", fieldtype: "Password", label: __("New password"), reqd: 1 }],
			(values) =>
				this.call("set_password", { user, new_password: values.new_password }).then(() =>
					frappe.show_alert({ message: __("Password of {0} set; their sessions ended", [user]), indicator: "green" })
				),
			__("Set password of {0}", [user])
		);
	}
};
