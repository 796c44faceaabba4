"""Which doctypes hold the routing records. Constants only, so hooks.py can import it at start-up cheaply."""

# doctype → the field its name comes from, in the order an import writes them (a record's links exist first)
RECORD_TITLES = {
	"HD Service Holiday List": "holiday_list_name",
	"CC Time Condition": "condition_name",
	"CC VIP List": "list_name",
	"CC IVR Menu": "menu_name",
	"CC Call Queue": "queue_name",
	"CC Route": "route_name",
	"CC Phone Number": "number",
}
# a change to any of these makes the FastAGI servers reload their routes (doc_events in hooks.py)
ROUTING_DOCTYPES = (*RECORD_TITLES, "CC Announcement")
