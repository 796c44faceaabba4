// The app's tools in Helpdesk's agent UI (/helpdesk): see public/js/helpdesk/ and docs/helpdesk-ui.md.
// (Not "helpdesk.bundle.js": Helpdesk has a bundle of that name, and assets.json keys are file names.)
import { start } from "./helpdesk/index";

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start());
else start();
