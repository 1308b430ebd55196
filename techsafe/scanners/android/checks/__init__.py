"""Android checks: each a small function registered once with @check.

Severities follow the DESIGN.md rubric. Titles are one sentence a caseworker
can read aloud; the playbook (same id as the kind) says what to do. Importing
this package registers every check module below.
"""

from techsafe.scanners.android.checks import apps, capabilities, settings  # noqa: F401
from techsafe.scanners.android.checks import identity  # noqa: F401,E402  (APK certificates, hashes, YARA; disguised apps)
from techsafe.scanners.android.checks import accounts, device_state, hiding, permissions  # noqa: F401,E402  (hiding places, issue 3 part 2)
