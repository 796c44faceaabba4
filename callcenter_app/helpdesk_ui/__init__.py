"""The app's tools inside Helpdesk's agent UI (/helpdesk): the ticket actions (an HD Form Script) and the
bundle with the phone bar, the incoming-call popup and "Pull next ticket" on every /helpdesk page."""
