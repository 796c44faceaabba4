// Helpdesk's page header (its LayoutHeader: #app-header > header, the title left, the buttons right) on
// one line however long the ticket's subject: the buttons keep their labels whole and a long subject ends
// in "…" (click it for the whole subject, as before) instead of running under them. Styles only, no DOM
// change; where a Helpdesk version has no such header the rules match nothing.
export const HEADER_CSS = `
#app-header > header { gap: 8px; }
#app-header > header > div:first-child, #app-header .breadcrumbs button,
	#app-header .breadcrumbs button > span { min-width: 0; }
#app-header .breadcrumbs button > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#app-header > header > div:last-child button { white-space: nowrap; }
`;

// The dock, dialogs, toasts and popup in /helpdesk: our own class names, Helpdesk's look (frappe-ui grays).
export const CSS = `
.cc-hd-dock { position: fixed; right: 16px; bottom: 16px; z-index: 40; display: flex; flex-direction: column;
	align-items: flex-end; gap: 8px; font: 13px/1.4 Inter, system-ui, sans-serif; color: #1f272e; }
.cc-hd-dock[hidden], .cc-hd-dock [hidden] { display: none !important; }
.cc-hd-phone:empty { display: none; }
.cc-hd-clock, .cc-hd-pull-menu, .cc-hd-popup, .cc-hd-phone > .cc-hd-btn { background: #fff;
	border: 1px solid #e2e2e2; border-radius: 10px; box-shadow: 0 4px 16px rgba(0,0,0,.10); }
.cc-hd-clock { padding: 8px 12px; min-width: 220px; }
.cc-hd-clock-title { font-weight: 600; margin-bottom: 2px; }
.cc-hd-pull { position: relative; }
.cc-hd-pull-menu { position: absolute; right: 0; bottom: 40px; width: 300px; padding: 6px; }
.cc-hd-team { display: flex; justify-content: space-between; align-items: center; gap: 8px; padding: 6px; }
.cc-hd-team + .cc-hd-team { border-top: 1px solid #f0f0f0; }
.cc-hd-btn { font: inherit; padding: 5px 12px; border-radius: 8px; border: 1px solid #e2e2e2;
	background: #f4f5f6; color: #1f272e; cursor: pointer; }
.cc-hd-btn:disabled { opacity: .5; cursor: default; }
.cc-hd-primary { background: #171717; border-color: #171717; color: #fff; }
.cc-hd-on { background: #e4f5e9; border-color: #b6e3c2; }
.cc-hd-muted { color: #7c7c7c; }
.cc-hd-late { color: #e03636; }
.cc-hd-table th { text-align: left; font-weight: 500; color: #7c7c7c; padding-right: 12px; }
.cc-hd-backdrop { position: fixed; inset: 0; z-index: 60; background: rgba(0,0,0,.25); display: flex;
	align-items: flex-start; justify-content: center; padding-top: 12vh; font: 14px/1.4 Inter, system-ui, sans-serif; }
.cc-hd-dialog { background: #fff; border-radius: 12px; width: 420px; max-width: 92vw; padding: 16px 20px;
	box-shadow: 0 10px 40px rgba(0,0,0,.2); color: #1f272e; }
.cc-hd-dialog-head, .cc-hd-popup-head { display: flex; justify-content: space-between; align-items: center; }
.cc-hd-dialog-head b { font-size: 16px; }
.cc-hd-x { border: 0; background: none; font-size: 20px; line-height: 1; cursor: pointer; color: #7c7c7c; }
.cc-hd-field { margin-top: 12px; }
.cc-hd-field label { display: block; font-size: 12px; color: #525252; margin-bottom: 4px; }
.cc-hd-field label.cc-hd-check { display: flex; gap: 6px; align-items: center; font-size: 13px; }
.cc-hd-field input:not([type=checkbox]), .cc-hd-field textarea, .cc-hd-field select { width: 100%;
	box-sizing: border-box; font: inherit; padding: 6px 8px; border: 1px solid #e2e2e2; border-radius: 8px;
	background: #f4f5f6; }
.cc-hd-error { margin-top: 10px; color: #b52a2a; background: #fff0f0; border-radius: 8px; padding: 6px 8px;
	white-space: pre-wrap; }
.cc-hd-buttons { display: flex; justify-content: flex-end; gap: 8px; margin-top: 16px; }
.cc-hd-toasts { position: fixed; bottom: 16px; left: 50%; transform: translateX(-50%); z-index: 70; display: flex; flex-direction: column;
	gap: 8px; font: 13px/1.4 Inter, system-ui, sans-serif; }
.cc-hd-toast { background: #171717; color: #fff; padding: 8px 12px; border-radius: 8px; max-width: 360px;
	box-shadow: 0 4px 16px rgba(0,0,0,.15); }
.cc-hd-toast.cc-hd-error { background: #b52a2a; color: #fff; margin: 0; }
.cc-hd-popups { position: fixed; right: 16px; top: 52px; z-index: 50; display: flex; flex-direction: column;
	gap: 8px; font: 13px/1.4 Inter, system-ui, sans-serif; }
.cc-hd-popup { width: 320px; padding: 12px 14px; color: #1f272e; }
.cc-hd-pill { background: #e4f5e9; color: #137333; border-radius: 999px; padding: 2px 8px; font-size: 12px; }
.cc-hd-popup-who { font-size: 15px; font-weight: 600; margin-top: 8px; }
.cc-hd-popup-who a, .cc-hd-popup-tickets a { color: inherit; text-decoration: underline; }
.cc-hd-popup-tickets ul { padding-left: 18px; margin: 4px 0 0; list-style: disc; }
${HEADER_CSS}`;

export function addStyle(doc = document) {
	if (doc.getElementById("cc-hd-style")) return;
	const style = doc.createElement("style");
	style.id = "cc-hd-style";
	style.textContent = CSS;
	doc.head.appendChild(style);
}
