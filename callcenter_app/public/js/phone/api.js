/*
 * The phone's server calls: POST to /api/method/<method> with the session's CSRF token (the desk's
 * frappe.csrf_token, /helpdesk's window.csrf_token), JSON in and out. Errors become an Error whose message
 * is the server's own sentence (the field and the reason), never a dialog: the bar shows it.
 */

function serverMessage(body) {
	try {
		const messages = JSON.parse(body._server_messages || "[]").map((m) => {
			const parsed = typeof m === "string" ? JSON.parse(m) : m;
			return (parsed && parsed.message) || String(m);
		});
		if (messages.length) return messages.join(" ").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
	} catch (e) {
		/* fall through */
	}
	return body.exception || body.message || "";
}

export function fetchApi(csrfToken, fetchImpl = globalThis.fetch) {
	return {
		async call(method, args = {}) {
			let response;
			try {
				response = await fetchImpl(`/api/method/${method}`, {
					method: "POST",
					credentials: "same-origin",
					cache: "no-store",
					headers: {
						Accept: "application/json",
						"Content-Type": "application/json",
						"X-Frappe-CSRF-Token": typeof csrfToken === "function" ? csrfToken() : csrfToken,
					},
					body: JSON.stringify(args),
				});
			} catch (e) {
				throw new Error("The site cannot be reached: check the network.");
			}
			let body = {};
			try {
				body = await response.json();
			} catch (e) {
				/* not JSON */
			}
			if (!response.ok) {
				const text = serverMessage(body) || `${response.status} ${response.statusText}`;
				throw Object.assign(new Error(text), { status: response.status });
			}
			return body.message;
		},
	};
}
