// callcenter_app: the call center's tools on a ticket in Helpdesk's agent UI (/helpdesk).
// Kept current by callcenter_app on every migrate (helpdesk_ui/service.py); untick "Enabled" to hide them.
// The work is done by the app's bundle (window.callcenter_helpdesk), which /helpdesk pages load for agents;
// it calls the same whitelisted methods as the desk.
function setupForm({ doc, updateField }) {
	const run = (name) => () => {
		const tools = window.callcenter_helpdesk;
		if (tools) return tools.ticketAction(name, doc, { updateField });
		window.alert("The call center tools did not load on this page: reload it.");
	};
	const snoozed = Boolean(doc.cc_snoozed);
	return {
		actions: [
			{ label: "Call contact", icon: "phone", onClick: run("call") },
			{ label: "Send SMS", icon: "message-square", onClick: run("sms") },
			snoozed
				? { label: "Reactivate", icon: "play", onClick: run("reactivate") }
				: { label: "Snooze", icon: "clock", onClick: run("snooze") },
			{ label: "Handling time", icon: "activity", onClick: run("clock") },
			{ label: "Transfer", icon: "phone-forwarded", onClick: run("transfer") },
		],
	};
}
