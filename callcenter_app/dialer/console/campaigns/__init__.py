"""The console's campaigns (Frappe glue): which campaigns a user sees, joining and leaving them."""
