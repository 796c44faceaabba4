// The app in Helpdesk's agent UI (/helpdesk): loaded by the app's after_request hook for agents only
// (helpdesk_ui/service.py). window.callcenter_helpdesk is what the HD Form Script "CC Helpdesk Tools" calls.
import { api, call } from "./api";
import { Dock } from "./dock";
import { showCall } from "./popup";
import { connect } from "./realtime";
import { addStyle } from "./style";
import { actions, ticketAction } from "./ticket";
import { toast } from "./ui";

export function start(boot = window.callcenter_helpdesk_boot || {}) {
	if (window.callcenter_helpdesk && window.callcenter_helpdesk.started) return window.callcenter_helpdesk;
	addStyle();
	const tools = {
		started: true,
		boot,
		api,
		call,
		actions,
		ticketAction,
		showCall,
		toast,
		dock: new Dock(boot).mount(),
	};
	window.callcenter_helpdesk = tools;
	try {
		tools.socket = connect(boot, {
			"callcenter:call": (data) => showCall(data),
			"callcenter:notice": (data) => data && data.message && toast(data.message, "warn"),
		});
	} catch (e) {
		console.error("callcenter: realtime did not connect", e);
	}
	return tools;
}
