// PBX Agents: registration colours, and listen / whisper / barge on the selected agent (supervisors).
frappe.query_reports["PBX Agents"] = {
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "registration" && data) {
			const colour = { Registered: "green", Unreachable: "orange" }[data.registration] || "gray";
			value = `<span class="indicator-pill ${colour}">${value}</span>`;
		}
		return value;
	},
	onload(report) {
		["listen", "whisper", "barge"].forEach((mode) => {
			report.page.add_inner_button(
				__(mode.charAt(0).toUpperCase() + mode.slice(1)),
				() => {
					frappe.prompt(
						{ fieldname: "agent", fieldtype: "Link", options: "User", label: __("Agent"), reqd: 1 },
						(v) => callcenter.spy(v.agent, mode),
						__("{0}: choose the agent", [__(mode)])
					);
				},
				__("Supervise")
			);
		});
	},
};
