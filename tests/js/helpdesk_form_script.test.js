// node --test tests/js/ : the HD Form Script "CC Helpdesk Tools" (public/js/helpdesk/form_script.js) run the
// way Helpdesk runs it (new Function(script + "return setupForm")), its actions sorted the way Helpdesk
// 1.4's CustomActions.vue sorts them (plain buttons, dropdowns by buttonLabel, the "..." menu).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const SCRIPT = readFileSync(new URL("../../callcenter_app/public/js/helpdesk/form_script.js", import.meta.url), "utf8");

function actionsOf(ctx) {
	const setupForm = new Function(SCRIPT + "\nreturn setupForm")();
	return setupForm(ctx)?.actions || [];
}

// helpdesk 1.4.0 desk/src/components/CustomActions.vue
function render(actions) {
	const buttons = actions.filter((a) => !a.group);
	const dropdowns = [];
	for (const a of actions.filter((a) => a.buttonLabel && a.group)) {
		const known = dropdowns.find((d) => d.label === a.buttonLabel);
		if (known) known.sections.push(a);
		else dropdowns.push({ label: a.buttonLabel, sections: [a] });
	}
	const more = actions.filter((a) => a.group && !a.buttonLabel);
	return { buttons, dropdowns, more };
}

function withTools() {
	const ran = [];
	globalThis.window = { callcenter_helpdesk: { ticketAction: (name, doc) => ran.push([name, doc.name]) } };
	return ran;
}

const labels = (items) => items.map((i) => i.label);

test("one button (Call contact) and one Call center menu hold every tool", () => {
	const { buttons, dropdowns, more } = render(actionsOf({ doc: { name: "7" }, updateField() {} }));
	assert.deepEqual(labels(buttons), ["Call contact"]);
	assert.equal(buttons[0].icon, "phone");
	assert.deepEqual(more, []);
	assert.equal(dropdowns.length, 1);
	assert.equal(dropdowns[0].label, "Call center");
	const sections = dropdowns[0].sections;
	assert.ok(sections.every((s) => s.hideLabel && typeof s.group === "string" && Array.isArray(s.items)));
	assert.deepEqual(sections.map((s) => labels(s.items)), [["Send SMS", "Transfer"], ["Snooze", "Handling time"]]);
});

test("a snoozed ticket offers Reactivate instead of Snooze", () => {
	const { dropdowns } = render(actionsOf({ doc: { name: "7", cc_snoozed: 1 }, updateField() {} }));
	const items = dropdowns[0].sections.flatMap((s) => labels(s.items));
	assert.ok(items.includes("Reactivate") && !items.includes("Snooze"), items.join(", "));
});

test("each button and item runs its tool in the app's bundle on this ticket", () => {
	const ran = withTools();
	const { buttons, dropdowns } = render(actionsOf({ doc: { name: "7" }, updateField() {} }));
	for (const action of [...buttons, ...dropdowns[0].sections.flatMap((s) => s.items)]) action.onClick();
	render(actionsOf({ doc: { name: "8", cc_snoozed: 1 }, updateField() {} })).dropdowns[0].sections[1].items[0].onClick();
	assert.deepEqual(ran, [["call", "7"], ["sms", "7"], ["transfer", "7"], ["snooze", "7"], ["clock", "7"], ["reactivate", "8"]]);
});

test("without the bundle a click says so instead of failing silently", () => {
	const said = [];
	globalThis.window = { alert: (m) => said.push(m) };
	actionsOf({ doc: { name: "7" }, updateField() {} })[0].onClick();
	assert.match(said[0], /did not load/);
});

test("later Helpdesk versions (more in the context) get iconLeft, so the button keeps its label", () => {
	// from 1.18 the action is bound onto frappe-ui's Button, where `icon` means an icon-only button
	const ctx = { doc: { name: "7" }, updateField() {}, call() {}, router: {}, toast: {}, $dialog() {}, createToast() {} };
	const [call, ...menus] = actionsOf(ctx);
	assert.equal(call.label, "Call contact");
	assert.equal(call.icon, undefined);
	assert.equal(call.iconLeft, "phone");
	assert.deepEqual(menus.map((m) => m.buttonLabel), ["Call center", "Call center"]);
	// 1.28's phone header flattens every group's items into one menu: all tools are still there
	const flat = actionsOf(ctx).flatMap((a) => (a.group ? a.items : [a]));
	assert.deepEqual(labels(flat), ["Call contact", "Send SMS", "Transfer", "Snooze", "Handling time"]);
});
