# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CCGeocodeCache(Document):
	"""One geocoder answer, kept so an address is looked up once (field/service.py: DbGeocodeCache).

	Keyed by the SHA-1 of the normalised address; ``found`` 0 remembers that the geocoder found nothing.
	Delete a row to have the address looked up again."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		display_name: DF.SmallText | None
		found: DF.Check
		key: DF.Data
		latitude: DF.Float
		longitude: DF.Float
		provider: DF.Data | None
		query: DF.SmallText
	# end: auto-generated types
