// The app's whitelisted methods from Helpdesk's agent UI (no `frappe` object there): a POST with the
// page's CSRF token, the session cookie, and Frappe's error message turned into an Error.

export function serverMessage(data) {
	try {
		const messages = JSON.parse(data._server_messages || "[]").map((m) => {
			try {
				return JSON.parse(m).message || m;
			} catch (e) {
				return m;
			}
		});
		if (messages.length) return messages.join("\n");
	} catch (e) {
		// not JSON: fall through
	}
	if (data.exception) return String(data.exception).split("\n")[0];
	return "";
}

export function plain(html) {
	const div = document.createElement("div");
	div.innerHTML = html || "";
	return (div.textContent || "").trim();
}

export async function call(method, args = {}) {
	const response = await fetch(`/api/method/${method}`, {
		method: "POST",
		credentials: "same-origin",
		headers: {
			Accept: "application/json",
			"Content-Type": "application/json",
			"X-Frappe-CSRF-Token": window.csrf_token || "",
		},
		body: JSON.stringify(args),
	});
	let data = {};
	try {
		data = await response.json();
	} catch (e) {
		data = {};
	}
	if (!response.ok || data.exc || data.exc_type) {
		const error = new Error(plain(serverMessage(data)) || `${response.status} ${response.statusText}`);
		error.status = response.status;
		error.data = data;
		throw error;
	}
	return data.message;
}

export const api = { call };
