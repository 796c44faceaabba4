# Copyright (c) 2026, callcenter_app developers
# For license information, please see license.txt

from frappe import _
from frappe.model.document import Document

from callcenter_app.telephony.routing.records import forward_number, route_from_record, unknown_branch_sources
from callcenter_app.telephony.routing.service import load_routeset
from callcenter_app.telephony.routing.validate import validate_route, validate_routeset
from callcenter_app.utils import default_region, throw_errors


class CCRoute(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from callcenter_app.callcenter_app.doctype.cc_route_branch.cc_route_branch import CCRouteBranch
		from callcenter_app.callcenter_app.doctype.cc_route_node.cc_route_node import CCRouteNode

		branches: DF.Table[CCRouteBranch]
		description: DF.SmallText | None
		enabled: DF.Check
		nodes: DF.Table[CCRouteNode]
		route_name: DF.Data
		start_node: DF.Data
	# end: auto-generated types

	def validate(self):
		self.strip_ids()
		self.normalize_numbers()
		self.validate_graph()

	def normalize_numbers(self):
		"""Forward numbers are stored (and dialled) in E.164, like DIDs; a non-number is refused below."""
		region = default_region()
		for row in self.nodes:
			if row.node_type == "Forward" and row.number:
				row.number = forward_number(row.number, region)

	def strip_ids(self):
		self.start_node = (self.start_node or "").strip()
		for row in self.nodes:
			row.node_id = (row.node_id or "").strip()
		for row in self.branches:
			row.from_node, row.branch, row.to_node = (
				(row.from_node or "").strip(),
				(row.branch or "").strip(),
				(row.to_node or "").strip(),
			)

	def validate_graph(self):
		record = self.as_dict()
		routes = load_routeset(override_route=record)
		errors = unknown_branch_sources(record)
		errors += validate_route(route_from_record(record, routes.default_region), routes)
		errors += [
			e
			for e in validate_routeset(routes)
			if e.field == f"route {self.route_name}" and "other routes" in e.reason
		]
		throw_errors(errors, _("Invalid route {0}").format(self.route_name))
