// This checkout's cc_helpdesk.bundle.js, built the way `bench build` builds it (the bench's own esbuild, its
// apps' node_modules), into one file that run.cjs can serve in place of the site's (BUNDLE=...): the check
// then runs this tree's JS without re-pointing the bench's apps/callcenter_app or its assets.
//   node tests/e2e/helpdesk/bundle.cjs [OUT]        (default /tmp/hdlab/cc_helpdesk.bundle.js)
const fs = require("fs");
const path = require("path");

const BENCH = process.env.BENCH || "/root/frappe-bench";
const REPO = path.resolve(__dirname, "../../..");
const OUT = process.argv[2] || "/tmp/hdlab/cc_helpdesk.bundle.js";
const apps = fs.readFileSync(path.join(BENCH, "sites/apps.txt"), "utf8").split("\n").filter(Boolean);
const esbuild = require(path.join(BENCH, "apps/frappe/node_modules/esbuild"));

esbuild
	.build({
		entryPoints: [path.join(REPO, "callcenter_app/public/js/cc_helpdesk.bundle.js")],
		outfile: OUT,
		bundle: true,
		target: ["es2017"],
		nodePaths: apps.map((app) => path.join(BENCH, "apps", app, "node_modules")).filter(fs.existsSync),
		define: { "process.env.NODE_ENV": '"development"' },
		logLevel: "warning",
	})
	.then(() => console.log(`built ${OUT} (${fs.statSync(OUT).size} bytes)`))
	.catch(() => process.exit(1));
