// Frappe's socket.io server from /helpdesk, connected the way Helpdesk's own desk/src/socket.ts does: the
// site's namespace, the session cookie; the server puts the socket in the user's room, where
// publish_realtime(user=...) events arrive.
import { io } from "socket.io-client";

export function socketUrl(boot, location = window.location) {
	const site = boot.site_name || location.hostname;
	if (location.port) {
		const protocol = location.protocol === "https:" ? "https:" : "http:";
		return `${protocol}//${location.hostname}:${boot.socketio_port || 9000}/${site}`;
	}
	return `${location.protocol}//${location.hostname}/${site}`;
}

export function connect(boot, handlers) {
	const socket = io(socketUrl(boot), { withCredentials: true, reconnectionAttempts: 10 });
	for (const [event, handler] of Object.entries(handlers)) socket.on(event, handler);
	return socket;
}
