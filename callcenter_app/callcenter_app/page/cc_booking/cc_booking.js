// Book an appointment for a field agent while on the phone: contact (prefilled from ?contact=&campaign=),
// address, duration, date range → the best slots (least added travel); an agent's day on a map (Frappe's
// Leaflet; vector markers and lines show even when map tiles cannot load) and as a list with the distance
// and travel time between consecutive stops; Book. Endpoints: api/field.py.
frappe.pages["cc-booking"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Book an Appointment"), single_column: true });
	wrapper.cc_booking = new CCBooking(page, wrapper);
};

frappe.pages["cc-booking"].on_page_show = function (wrapper) {
	const opts = frappe.route_options || {};
	frappe.route_options = null;
	if (wrapper.cc_booking) wrapper.cc_booking.prefill(opts);
};

const CC_API = "callcenter_app.api.field.";

class CCBooking {
	constructor(page, wrapper) {
		this.page = page;
		this.wrapper = wrapper;
		this.selected = null; // {field_agent, start}
		this.point = null; // {lat, lon} of the new appointment
		this.$body = $(`
			<div class="cc-booking">
				<div class="cc-b-form row"></div>
				<div class="cc-b-actions"></div>
				<div class="row">
					<div class="col-md-5">
						<div class="cc-b-card"><div class="cc-b-title">${__("Suggestions")}</div>
							<div class="cc-b-suggestions text-muted">${__("Fill in the visit and press Find slots.")}</div></div>
					</div>
					<div class="col-md-7">
						<div class="cc-b-card">
							<div class="cc-b-title cc-b-day-title">${__("Agent's day")}</div>
							<div class="cc-b-day-form row"></div>
							<div class="cc-b-map" id="cc-b-map"></div>
							<div class="cc-b-day-list"></div>
						</div>
					</div>
				</div>
			</div>`).appendTo(page.body);
		this.make_form();
		this.page.set_primary_action(__("Book"), () => this.book(), "calendar");
		this.page.set_secondary_action(__("Find slots"), () => this.find());
	}

	make_form() {
		const today = frappe.datetime.get_today();
		const col = (cls) => $(`<div class="${cls}"></div>`).appendTo(this.$body.find(".cc-b-form"));
		const make = (df, parent) =>
			frappe.ui.form.make_control({ df, parent, render_input: true, only_input: false });
		this.f = {};
		const c1 = col("col-md-3"), c2 = col("col-md-5"), c3 = col("col-md-2"), c4 = col("col-md-2");
		this.f.contact = make(
			{ fieldtype: "Link", options: "Contact", label: __("Contact"), fieldname: "contact", reqd: 1,
				change: () => this.load_contact() },
			c1
		);
		this.f.campaign = make({ fieldtype: "Link", options: "CC Campaign", label: __("Campaign"), fieldname: "campaign" }, c1);
		this.f.address = make({ fieldtype: "Small Text", label: __("Address"), fieldname: "address", reqd: 1 }, c2);
		this.f.duration = make({ fieldtype: "Int", label: __("Duration (minutes)"), fieldname: "duration", default: 60 }, c3);
		this.f.duration.set_value(60);
		this.f.notes = make({ fieldtype: "Data", label: __("Notes for the agent"), fieldname: "notes" }, c3);
		this.f.date_from = make({ fieldtype: "Date", label: __("From"), fieldname: "date_from" }, c4);
		this.f.date_to = make({ fieldtype: "Date", label: __("To"), fieldname: "date_to" }, c4);
		this.f.date_from.set_value(today);
		this.f.date_to.set_value(frappe.datetime.add_days(today, 6));
		const d = this.$body.find(".cc-b-day-form");
		const dc1 = $(`<div class="col-md-6"></div>`).appendTo(d), dc2 = $(`<div class="col-md-3"></div>`).appendTo(d),
			dc3 = $(`<div class="col-md-3"></div>`).appendTo(d);
		this.f.agent = make(
			{ fieldtype: "Link", options: "CC Field Agent", label: __("Field agent"), fieldname: "agent",
				filters: { active: 1 }, change: () => this.show_day() },
			dc1
		);
		this.f.day = make({ fieldtype: "Date", label: __("Day"), fieldname: "day", change: () => this.show_day() }, dc2);
		this.f.time = make({ fieldtype: "Time", label: __("Start"), fieldname: "time", change: () => this.pick_time() }, dc3);
	}

	prefill(opts) {
		if (opts.campaign) this.f.campaign.set_value(opts.campaign);
		if (opts.contact) {
			this.f.contact.set_value(opts.contact);
			this.load_contact(opts.contact); // a Link's value is set only once it is validated
		}
	}

	load_contact(given) {
		const contact = given || this.f.contact.get_value();
		if (!contact || contact === this.loaded_contact) return;
		this.loaded_contact = contact;
		frappe.call(CC_API + "contact_details", { contact }).then((r) => {
			const c = r.message || {};
			if (c.address && !this.f.address.get_value()) this.f.address.set_value(c.address);
			this.page.set_title(__("Book an Appointment") + (c.full_name ? ": " + c.full_name : ""));
		});
	}

	values() {
		return {
			address: this.f.address.get_value(),
			duration: this.f.duration.get_value() || 60,
			date_from: this.f.date_from.get_value(),
			date_to: this.f.date_to.get_value(),
		};
	}

	find() {
		const v = this.values();
		if (!v.address) return frappe.msgprint(__("Address: type where the visit is."));
		const box = this.$body.find(".cc-b-suggestions").html(`<span class="text-muted">${__("Searching…")}</span>`);
		return frappe.call({ method: CC_API + "suggest", args: v, freeze: true }).then((r) => {
			const res = r.message;
			this.point = { lat: res.latitude, lon: res.longitude };
			box.empty();
			if (!res.suggestions.length)
				return box.html(`<span class="text-muted">${__("No agent has room for this visit in these days.")}</span>`);
			res.suggestions.forEach((s) => {
				const row = $(`
					<div class="cc-b-sugg">
						<div><b>${frappe.utils.escape_html(s.agent_name)}</b>
						<div class="text-muted small">${this.when(s.start)} – ${frappe.datetime.str_to_user(s.end).split(" ")[1] || ""}</div></div>
						<div class="small">+${s.added_travel_minutes} ${__("min travel")}</div>
					</div>`).appendTo(box);
				row.on("click", () => this.choose(s, row));
			});
			this.choose(res.suggestions[0], box.find(".cc-b-sugg").first());
		});
	}

	when(dt) {
		return frappe.datetime.str_to_user(dt).replace(/:00$/, "");
	}

	choose(s, row) {
		this.$body.find(".cc-b-sugg").removeClass("active");
		row.addClass("active");
		this.selected = { field_agent: s.field_agent, start: s.start };
		this.quiet = true; // the fields' own change events must not undo the choice
		Promise.all([
			this.f.agent.set_value(s.field_agent),
			this.f.day.set_value(s.start.split(" ")[0]),
			this.f.time.set_value(s.start.split(" ")[1]),
		]).finally(() => setTimeout(() => (this.quiet = false), 300));
		this.show_day(s.field_agent, s.start.split(" ")[0], true);
	}

	pick_time() {
		if (this.quiet) return;
		const agent = this.f.agent.get_value(), day = this.f.day.get_value(), time = this.f.time.get_value();
		this.selected = agent && day && time ? { field_agent: agent, start: `${day} ${time}` } : null;
		this.show_day();
	}

	show_day(given_agent, given_date, forced) {
		if (this.quiet && !forced) return;
		const agent = given_agent || this.f.agent.get_value(), date = given_date || this.f.day.get_value();
		if (!agent || !date) return;
		if (!forced && this.selected && (this.selected.field_agent !== agent || !this.selected.start.startsWith(date))) {
			const time = this.f.time.get_value();
			this.selected = time ? { field_agent: agent, start: `${date} ${time}` } : null;
		}
		frappe.call({ method: CC_API + "day", args: { field_agent: agent, date }, type: "GET" }).then((r) => this.render_day(r.message));
	}

	render_day(d) {
		this.$body.find(".cc-b-day-title").text(`${__("Agent's day")}: ${d.agent_name} · ${frappe.datetime.str_to_user(d.date)}`);
		const hours = d.shifts.map((s) => `${s.start.split(" ")[1].slice(0, 5)}–${s.end.split(" ")[1].slice(0, 5)}`).join(", ");
		const list = this.$body.find(".cc-b-day-list").empty();
		const rows = [];
		rows.push(`<tr class="text-muted"><td>${hours || __("no working hours")}</td><td>${__("Home base")}</td><td colspan="2">${frappe.utils.escape_html(d.home.address || "")}</td></tr>`);
		d.appointments.forEach((a) => {
			const name = a.name ? `<a href="/app/cc-appointment/${a.name}">${a.name}</a>` : "";
			rows.push(`<tr><td>${a.start.split(" ")[1].slice(0, 5)}–${a.end.split(" ")[1].slice(0, 5)}</td>
				<td>${frappe.utils.escape_html(a.contact_name || "")} ${name}<div class="small text-muted">${frappe.utils.escape_html(a.address || "")}</div></td>
				<td>${a.distance_km} km</td><td>${a.travel_minutes} ${__("min")}</td></tr>`);
		});
		rows.push(`<tr class="text-muted"><td></td><td>${__("Back to home base")}</td><td>${d.back_home.distance_km} km</td><td>${d.back_home.travel_minutes} ${__("min")}</td></tr>`);
		list.html(`<table class="table table-sm cc-b-table"><thead><tr><th>${__("Time")}</th><th>${__("Visit")}</th><th>${__("Distance")}</th><th>${__("Travel")}</th></tr></thead><tbody>${rows.join("")}</tbody></table>`);
		if (this.selected && this.point)
			list.append(`<div class="cc-b-new">${__("New visit")}: ${this.when(this.selected.start)} · ${frappe.utils.escape_html(this.f.address.get_value() || "")}</div>`);
		this.draw_map(d);
	}

	draw_map(d) {
		const el = this.$body.find(".cc-b-map")[0];
		if (!this.map) {
			this.map = L.map(el, { zoomControl: true });
			L.tileLayer(frappe.utils.map_defaults.tiles, frappe.utils.map_defaults.options).addTo(this.map);
		}
		if (this.layer) this.layer.remove();
		this.layer = L.featureGroup().addTo(this.map);
		const home = [d.home.lat, d.home.lon];
		L.circleMarker(home, { radius: 9, color: "#1f2937", fillColor: "#6b7280", fillOpacity: 0.9 })
			.bindTooltip(__("Home base"), { permanent: true, direction: "top" })
			.addTo(this.layer);
		const path = [home];
		d.appointments.forEach((a, i) => {
			if (a.lat == null) return;
			path.push([a.lat, a.lon]);
			L.circleMarker([a.lat, a.lon], { radius: 8, color: "#1d4ed8", fillColor: "#3b82f6", fillOpacity: 0.9 })
				.bindTooltip(`${i + 1}. ${a.start.split(" ")[1].slice(0, 5)} ${frappe.utils.escape_html(a.contact_name || "")}`, {
					permanent: true,
					direction: "right",
				})
				.addTo(this.layer);
		});
		path.push(home);
		L.polyline(path, { color: "#2563eb", weight: 3, opacity: 0.8 }).addTo(this.layer);
		if (this.point && this.selected && this.selected.field_agent === d.agent) {
			L.circleMarker([this.point.lat, this.point.lon], { radius: 10, color: "#b91c1c", fillColor: "#ef4444", fillOpacity: 0.95 })
				.bindTooltip(`${__("New")} ${this.selected.start.split(" ")[1].slice(0, 5)}`, { permanent: true, direction: "left" })
				.addTo(this.layer);
		}
		setTimeout(() => {
			this.map.invalidateSize();
			this.map.fitBounds(this.layer.getBounds().pad(0.15), { maxZoom: 15 });
		}, 50);
	}

	book() {
		const contact = this.f.contact.get_value();
		const v = this.values();
		if (!contact) return frappe.msgprint(__("Contact: choose whom the visit is for."));
		if (!this.selected) return frappe.msgprint(__("Choose a suggestion, or a field agent, a day and a start."));
		const args = {
			field_agent: this.selected.field_agent,
			contact,
			address: v.address,
			start: this.selected.start,
			duration: v.duration,
			campaign: this.f.campaign.get_value() || null,
			notes: this.f.notes.get_value() || null,
		};
		if (this.point) Object.assign(args, { latitude: this.point.lat, longitude: this.point.lon });
		return frappe.call({ method: CC_API + "book", args, freeze: true }).then((r) => {
			const a = r.message;
			frappe.show_alert({ message: __("Booked {0} with {1}", [a.name, a.agent_name]), indicator: "green" });
			this.show_day();
			this.find();
		});
	}
}

frappe.dom.set_style(`
	.cc-booking { padding-top: 16px; }
	.cc-booking .cc-b-card { border: 1px solid var(--border-color); border-radius: 8px; padding: 12px; margin-bottom: 12px; background: var(--card-bg); }
	.cc-booking .cc-b-title { font-weight: 600; margin-bottom: 8px; }
	.cc-booking .cc-b-map { height: 360px; border-radius: 6px; background: #e5eef5; margin-bottom: 8px; }
	.cc-booking .cc-b-sugg { display: flex; justify-content: space-between; padding: 6px 8px; border-radius: 6px; cursor: pointer; }
	.cc-booking .cc-b-sugg:hover { background: var(--fg-hover-color); }
	.cc-booking .cc-b-sugg.active { background: var(--blue-50, #eff6ff); outline: 1px solid var(--blue-300, #93c5fd); }
	.cc-booking .cc-b-new { color: #b91c1c; font-weight: 600; }
	.cc-booking .cc-b-table td { vertical-align: top; }
`);
