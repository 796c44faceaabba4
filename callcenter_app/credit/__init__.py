"""Prepaid credit (issue 16), the pure side: money in minor units, call rating, ledger invariants, bank
references, bank statements and their matching to top-up requests. Nothing here imports Frappe."""
