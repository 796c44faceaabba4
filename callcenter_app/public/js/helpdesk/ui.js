// Small DOM helpers for /helpdesk: escaping, a toast and a modal dialog with a few fields. They use our
// own class names (cc-hd-*) and never touch Helpdesk's Vue-managed elements.

export const esc = (s) =>
	String(s == null ? "" : s).replace(
		/[&<>"']/g,
		(c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]
	);

export function el(html) {
	const t = document.createElement("template");
	t.innerHTML = html.trim();
	return t.content.firstElementChild;
}

export function toast(message, kind = "ok") {
	let box = document.querySelector(".cc-hd-toasts");
	if (!box) {
		box = el(`<div class="cc-hd-toasts" aria-live="polite"></div>`);
		document.body.appendChild(box);
	}
	const item = el(`<div class="cc-hd-toast cc-hd-${esc(kind)}" role="status">${esc(message)}</div>`);
	box.appendChild(item);
	setTimeout(() => item.remove(), kind === "error" ? 9000 : 5000);
	return item;
}

function field(f) {
	const id = `cc-hd-f-${f.name}`;
	const label = `<label for="${id}">${esc(f.label)}</label>`;
	const value = f.value == null ? "" : f.value;
	if (f.type === "textarea")
		return `${label}<textarea id="${id}" name="${esc(f.name)}" rows="4">${esc(value)}</textarea>`;
	if (f.type === "select")
		return `${label}<select id="${id}" name="${esc(f.name)}">${(f.options || [])
			.map((o) => `<option value="${esc(o.value)}"${o.value === value ? " selected" : ""}>${esc(o.label)}</option>`)
			.join("")}</select>`;
	if (f.type === "check")
		return `<label class="cc-hd-check"><input type="checkbox" id="${id}" name="${esc(f.name)}"${
			value ? " checked" : ""
		}> ${esc(f.label)}</label>`;
	if (f.type === "html") return `<div class="cc-hd-html">${f.html}</div>`;
	return `${label}<input id="${id}" name="${esc(f.name)}" type="${esc(f.type || "text")}" value="${esc(value)}">`;
}

// dialog({title, fields, primary, onSubmit(values, dialog) -> Promise|void, secondary?, onSecondary?})
// onSubmit's error is shown in the dialog and the dialog stays open; success closes it.
export function dialog({ title, fields = [], primary, onSubmit, secondary, onSecondary, onOpen }) {
	const node = el(`
		<div class="cc-hd-backdrop">
			<div class="cc-hd-dialog" role="dialog" aria-modal="true" aria-label="${esc(title)}">
				<div class="cc-hd-dialog-head"><b>${esc(title)}</b>
					<button type="button" class="cc-hd-x" aria-label="Close">×</button></div>
				<form class="cc-hd-form">
					${fields.map((f) => `<div class="cc-hd-field">${field(f)}</div>`).join("")}
					<div class="cc-hd-error" role="alert" hidden></div>
					<div class="cc-hd-buttons">
						${secondary ? `<button type="button" class="cc-hd-btn cc-hd-secondary">${esc(secondary)}</button>` : ""}
						${primary ? `<button type="submit" class="cc-hd-btn cc-hd-primary">${esc(primary)}</button>` : ""}
					</div>
				</form>
			</div>
		</div>`);
	const form = node.querySelector("form");
	const error = node.querySelector(".cc-hd-error");
	const close = () => node.remove();
	const values = () => {
		const out = {};
		for (const f of fields) {
			const input = form.elements[f.name];
			if (!input) continue;
			out[f.name] = f.type === "check" ? input.checked : input.value;
		}
		return out;
	};
	const busy = (on) => node.querySelectorAll("button").forEach((b) => (b.disabled = on));
	const run = async (handler) => {
		error.hidden = true;
		busy(true);
		try {
			const keep = await handler(values(), api);
			if (keep !== true) close();
		} catch (e) {
			error.textContent = e.message || String(e);
			error.hidden = false;
		} finally {
			busy(false);
		}
	};
	const api = { node, close, values, setError: (m) => ((error.textContent = m), (error.hidden = !m)) };
	node.querySelector(".cc-hd-x").addEventListener("click", close);
	node.addEventListener("click", (e) => e.target === node && close());
	node.addEventListener("keydown", (e) => e.key === "Escape" && close());
	form.addEventListener("submit", (e) => {
		e.preventDefault();
		if (onSubmit) run(onSubmit);
		else close();
	});
	if (secondary && onSecondary)
		node.querySelector(".cc-hd-secondary").addEventListener("click", () => run(onSecondary));
	document.body.appendChild(node);
	const first = form.querySelector("input,textarea,select");
	if (first) first.focus();
	if (onOpen) onOpen(api);
	return api;
}

export function duration(seconds) {
	seconds = Math.max(0, Math.round(Number(seconds) || 0));
	const h = Math.floor(seconds / 3600);
	const m = Math.floor((seconds % 3600) / 60);
	const s = seconds % 60;
	if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
	if (m) return `${m} min ${String(s).padStart(2, "0")} s`;
	return `${s} s`;
}

// Frappe's "YYYY-MM-DD HH:MM:SS[.ffffff]" in the system time zone, shown as it is (no browser conversion).
export function when(value) {
	if (!value) return "";
	return String(value).replace("T", " ").slice(0, 16);
}
