// callcenter_app: the call center's tools on a ticket in Helpdesk's agent UI (/helpdesk).
// Kept current by callcenter_app on every migrate (helpdesk_ui/service.py); untick "Enabled" to hide them.
// The work is done by the app's bundle (window.callcenter_helpdesk), which /helpdesk pages load for agents;
// it calls the same whitelisted methods as the desk.
//
// The header keeps one line down to a 1100 px window: "Call contact" (the tool used most) is a button, the
// others are one "Call center" dropdown. Helpdesk turns actions that have `group` and `buttonLabel` into a
// dropdown button named buttonLabel with each action's `items` as a section (1.4's CustomActions.vue, the
// same shape up to 1.28's TicketHeader.vue; its phone header lists every item in one menu).
function setupForm(ctx) {
	const { doc, updateField } = ctx;
	const run = (name) => () => {
		const tools = window.callcenter_helpdesk;
		if (tools) return tools.ticketAction(name, doc, { updateField });
		window.alert("The call center tools did not load on this page: reload it.");
	};
	// Helpdesk up to 1.6 passes only {doc, updateField} and draws `icon` before the label. Later ones pass
	// more (call, router, toast...) and from 1.18 bind the action onto frappe-ui's Button, where `icon`
	// makes an icon-only button: there it goes as `iconLeft`, so the label stays in every version.
	const iconBeforeLabel = Object.keys(ctx).every((key) => key === "doc" || key === "updateField");
	const withIcon = (name) => (iconBeforeLabel ? { icon: name } : { iconLeft: name });
	const menu = (group, items) => ({ group, buttonLabel: "Call center", hideLabel: true, items });
	const snoozed = Boolean(doc.cc_snoozed);
	return {
		actions: [
			{ label: "Call contact", ...withIcon("phone"), onClick: run("call") },
			menu("Contact", [
				{ label: "Send SMS", icon: "message-square", onClick: run("sms") },
				{ label: "Transfer", icon: "phone-forwarded", onClick: run("transfer") },
			]),
			menu("Ticket", [
				snoozed
					? { label: "Reactivate", icon: "play", onClick: run("reactivate") }
					: { label: "Snooze", icon: "clock", onClick: run("snooze") },
				{ label: "Handling time", icon: "activity", onClick: run("clock") },
			]),
		],
	};
}
