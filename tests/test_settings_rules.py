import pytest

from callcenter_app.common.errors import FieldError
from callcenter_app.common.settings_rules import check_cc_settings

GOOD = {
	"pbx_enabled": 1,
	"ami_host": "pbx.example.com",
	"ami_port": 5038,
	"ami_username": "callcenter",
	"ami_secret": "secret",
	"agi_bind_address": "0.0.0.0",
	"agi_port": 4573,
	"recordings_folder": "/var/spool/asterisk/monitor",
	"site_timezone": "Europe/Vilnius",
	"qos_reference_wait": 20,
	"qos_limit_wait": 60,
	"qos_early_factor": 0.25,
}


def fields(values):
	return [e.field for e in check_cc_settings(values)]


def test_good_settings_pass():
	assert check_cc_settings(GOOD) == []


@pytest.mark.parametrize(
	"change, field, reason",
	[
		({"ami_port": 0}, "ami_port", "from 1 to 65535"),
		({"ami_port": 65536}, "ami_port", "from 1 to 65535"),
		({"ami_port": "abc"}, "ami_port", "whole number"),
		({"agi_port": None}, "agi_port", "whole number"),
		({"ami_host": "pbx example"}, "ami_host", "host name or an IP address"),
		({"ami_host": ""}, "ami_host", "required when the PBX bridge is enabled"),
		({"ami_username": ""}, "ami_username", "required"),
		({"ami_username": "a b"}, "ami_username", "spaces"),
		({"ami_secret": "x\r\nAction: Originate"}, "ami_secret", "line breaks"),
		({"agi_bind_address": ""}, "agi_bind_address", "required"),
		({"recordings_folder": "monitor"}, "recordings_folder", "absolute path"),
		({"recordings_folder": "/var/../etc"}, "recordings_folder", ".."),
		({"site_timezone": "Europe/Atlantis"}, "site_timezone", "IANA"),
		({"qos_reference_wait": -1}, "qos_reference_wait", "negative"),
		({"qos_limit_wait": 20}, "qos_limit_wait", "greater than the reference wait time (20 s)"),
		({"qos_limit_wait": 10}, "qos_limit_wait", "not 10 s"),
		({"qos_early_factor": 1.5}, "qos_early_factor", "from 0 to 1"),
	],
)
def test_each_bad_value_names_its_field(change, field, reason):
	errors = check_cc_settings({**GOOD, **change})
	assert [e.field for e in errors] == [field]
	assert reason in errors[0].reason
	assert str(errors[0]).startswith(f"{field}: ")


def test_all_problems_are_reported_together():
	assert fields({**GOOD, "ami_port": 0, "agi_port": 99999, "site_timezone": "x"}) == [
		"ami_port",
		"agi_port",
		"site_timezone",
	]


def test_pbx_disabled_needs_no_credentials():
	assert check_cc_settings({**GOOD, "pbx_enabled": 0, "ami_host": "", "ami_username": ""}) == []


def test_ipv6_addresses_are_hosts():
	assert check_cc_settings({**GOOD, "ami_host": "::1", "agi_bind_address": "::"}) == []


def test_field_error_is_a_value_error():
	assert issubclass(FieldError, ValueError)
