"""Android checks: each a small function registered once with @check.

Severities follow the DESIGN.md rubric. Titles are one sentence a caseworker
can read aloud; the playbook (same id as the kind) says what to do. Importing
this package registers every check module below.
"""

# apps: feeds and stores; capabilities: accessibility, admins, listeners;
# settings: Play Protect, USB debugging; identity: APK certificates, hashes,
# YARA, disguised apps; hiding/permissions/accounts/device_state: the places
# an abuser hides (hidden apps, what apps can see, accounts and profiles,
# root, call forwarding, proxy/VPN/certificates).
from techsafe.scanners.android.checks import (  # noqa: F401
    accounts,
    apps,
    capabilities,
    device_state,
    hiding,
    identity,
    permissions,
    settings,
)
