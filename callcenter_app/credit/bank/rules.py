"""The bank statement import's labels (pure): the stored match status of each matching outcome."""

from __future__ import annotations

STATUS_LABELS = {
	"matched": "Matched",
	"partial": "Partial",
	"over": "Over",
	"unmatched": "Unmatched",
	"duplicate": "Duplicate",
	"wrong_currency": "Wrong Currency",
}
