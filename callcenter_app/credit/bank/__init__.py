"""Bank statement import (Frappe glue in ``service.py``): a CC Bank Statement Import's file is parsed
(``credit/statements.py``), its lines matched to top-up requests (``credit/matching.py``) and stored as
CC Bank Statement Line records; exact matches are credited, the rest wait for the Accountant's decision."""
