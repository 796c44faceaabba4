// A field agent's calendar feed: the secret iCal URL for their phone's calendar app (shown once, when it is
// made: only its hash is stored), Regenerate (the old URL stops working) and Revoke. Endpoints: api/field.py.
frappe.pages["cc-my-calendar"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("My Calendar Feed"), single_column: true });
	const api = "callcenter_app.api.field.";
	const $body = $(`
		<div class="cc-feed" style="max-width: 720px">
			<p>${__("Subscribe to your appointments from the calendar app on your phone. The link is a secret: anyone who has it sees your appointments. It is shown only once, when you make it.")}</p>
			<p class="cc-feed-state text-muted"></p>
			<div class="cc-feed-url" style="display:none">
				<div class="input-group"><input class="form-control" readonly><button class="btn btn-default btn-copy">${__("Copy")}</button></div>
			</div>
			<p style="margin-top: 12px">
				<button class="btn btn-primary btn-sm cc-regen">${__("Make a new link")}</button>
				<button class="btn btn-default btn-sm cc-revoke">${__("Revoke")}</button>
				<a class="btn btn-default btn-sm" href="/app/cc-appointment/view/calendar/default">${__("My appointments calendar")}</a>
			</p>
		</div>`).appendTo(page.body);
	const show = (s) => {
		$body.find(".cc-feed-state").text(
			s.active
				? __("A link is active since {0}. Lost it? Make a new one (the old one stops working).", [frappe.datetime.str_to_user(s.created)])
				: __("No link is active.")
		);
		$body.find(".cc-revoke").toggle(!!s.active);
		if (s.url) {
			$body.find(".cc-feed-url").show().find("input").val(s.url);
		} else {
			$body.find(".cc-feed-url").hide();
		}
	};
	$body.find(".btn-copy").on("click", () => frappe.utils.copy_to_clipboard($body.find(".cc-feed-url input").val()));
	$body.find(".cc-regen").on("click", () => frappe.call({ method: api + "regenerate_feed" }).then((r) => show(r.message)));
	$body.find(".cc-revoke").on("click", () =>
		frappe.confirm(__("Revoke the calendar link? Calendars using it stop updating."), () =>
			frappe.call({ method: api + "revoke_feed" }).then((r) => show(r.message))
		)
	);
	frappe.call({ method: api + "my_feed", type: "GET" }).then((r) => show(r.message));
};
