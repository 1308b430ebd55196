"""Pure parsers: raw Android command output -> facts (scanners/android/facts.py).

Each `parse_x(text)` returns facts or raises facts.ParseError with a one-line
reason (the check runner shows the area as "not checked"). Parsers never run,
open or fetch anything they read, work in linear time and bound line lengths.
"""

from techsafe.scanners.android.facts import ParseError
from techsafe.scanners.android.parsers.accessibility import enabled_from_setting, parse_accessibility
from techsafe.scanners.android.parsers.accounts import parse_accounts
from techsafe.scanners.android.parsers.androidqf import parse_androidqf_packages
from techsafe.scanners.android.parsers.device_policy import parse_device_policy
from techsafe.scanners.android.parsers.dump_sections import DumpSection, sections_named, split_dump
from techsafe.scanners.android.parsers.dumpsys_package import parse_dumpsys_package, parse_dumpsys_package_single
from techsafe.scanners.android.parsers.getprop import parse_getprop
from techsafe.scanners.android.parsers.package_list import parse_package_list, parse_package_names
from techsafe.scanners.android.parsers.settings import parse_settings
from techsafe.scanners.android.parsers.users import is_managed_profile, parse_users

__all__ = [
    "DumpSection",
    "ParseError",
    "enabled_from_setting",
    "is_managed_profile",
    "parse_accessibility",
    "parse_accounts",
    "parse_androidqf_packages",
    "parse_device_policy",
    "parse_dumpsys_package",
    "parse_dumpsys_package_single",
    "parse_getprop",
    "parse_package_list",
    "parse_package_names",
    "parse_settings",
    "parse_users",
    "sections_named",
    "split_dump",
]
