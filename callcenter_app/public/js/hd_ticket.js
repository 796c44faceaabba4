// HD Ticket desk form: "Send SMS" texts the ticket's customer through Frappe's SMS Settings
// (callcenter_app.api.sms.send_reply checks that the user may write the ticket).
frappe.ui.form.on("HD Ticket", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Send SMS"), () => callcenter_sms_dialog(frm));
	},
});

function callcenter_sms_parts(text) {
	// GSM-7 texts take 160 characters (153 per part when split); anything else 70 (67).
	const gsm = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;
	if (!text) return { chars: 0, parts: 0 };
	if (gsm.test(text)) {
		const chars = [...text].reduce((n, c) => n + ("^{}\\[~]|€".includes(c) ? 2 : 1), 0);
		return { chars, parts: chars <= 160 ? 1 : Math.ceil(chars / 153) };
	}
	const units = text.length;
	return { chars: units, parts: units <= 70 ? 1 : Math.ceil(units / 67) };
}

function callcenter_sms_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Send SMS"),
		fields: [
			{
				fieldname: "message",
				fieldtype: "Small Text",
				label: __("Message"),
				reqd: 1,
				description: __("0 characters"),
			},
		],
		primary_action_label: __("Send"),
		primary_action(values) {
			frappe
				.call({
					method: "callcenter_app.api.sms.send_reply",
					args: { ticket: frm.doc.name, message: values.message },
					freeze: true,
					freeze_message: __("Sending…"),
				})
				.then((r) => {
					const result = r.message || {};
					if (result.status === "Failed") {
						frappe.msgprint({
							title: __("SMS not sent"),
							indicator: "red",
							message: frappe.utils.escape_html(result.detail || ""),
						});
						return;
					}
					dialog.hide();
					frappe.show_alert({ message: __("SMS sent"), indicator: "green" });
					frm.reload_doc();
				});
		},
	});
	const field = dialog.get_field("message");
	field.$input.on("input", () => {
		const { chars, parts } = callcenter_sms_parts(field.get_value() || "");
		field.set_description(__("{0} characters, {1} SMS", [chars, parts]));
	});
	dialog.show();
}
