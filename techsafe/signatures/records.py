"""The small values the signatures package hands to the rest of techsafe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from techsafe.model import IndicatorMatch


class FeedError(Exception):
    """A feed that cannot be used, with a one-line reason naming the file."""


# Every category a feed or the catalogue may give an app, domain or IP, most
# severe first. The rank decides which hit wins when several feeds match:
# stalkerware/spyware > watchware > the catalogue's dual-use categories.
CATEGORY_RANK: dict[str, int] = {
    "stalkerware": 100,
    "spyware": 100,  # mercenary spyware (STIX feeds such as Amnesty's)
    "watchware": 80,  # visible monitoring apps (Echap watchware.yaml)
    "monitoring": 70,  # phone-tracker / monitoring apps sold for families or staff
    "remote-access": 65,
    "anti-theft": 60,
    "parental-control": 55,
    "family-locator": 55,
    "tracker": 40,  # item trackers and find-my-device networks
    "doorbell": 30,
    "camera": 30,
}
CATEGORIES: frozenset[str] = frozenset(CATEGORY_RANK)


def category_rank(category: str) -> int:
    return CATEGORY_RANK.get(category, 0)


@dataclass(frozen=True)
class SignatureHit:
    """One indicator that matched. Checks decide the severity, not this."""

    category: str
    match: IndicatorMatch
    name: str  # human app / family name
    description: str = ""  # plain words: what it can do (catalogue entries)


@dataclass(frozen=True)
class FeedInfo:
    """An installed feed (or the bundled catalogue), as case.json records it."""

    name: str
    kind: str  # echap | stix2 | catalogue
    version: str  # upstream commit, bundle date, or catalogue version
    sha256: str  # over the feed's files (see store.combined_sha256)
    imported_at: str  # UTC ISO 8601; for the catalogue: empty
    source: str  # path or URL it came from
    counts: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    data_date: str = ""  # when the data itself is from (upstream commit date), UTC ISO, may be empty
    files: tuple[tuple[str, str], ...] = ()  # (file name, sha256)
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "sha256": self.sha256,
            "imported_at": self.imported_at,
            "source": self.source,
            "counts": dict(self.counts),
            "data_date": self.data_date,
            "files": {n: h for n, h in self.files},
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FeedInfo":
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            version=str(data.get("version", "")),
            sha256=str(data.get("sha256", "")),
            imported_at=str(data.get("imported_at", "")),
            source=str(data.get("source", "")),
            counts={str(k): int(v) for k, v in (data.get("counts") or {}).items()},
            data_date=str(data.get("data_date", "")),
            files=tuple(sorted((str(k), str(v)) for k, v in (data.get("files") or {}).items())),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
        )

    @property
    def entries(self) -> int:
        """One headline number for tables: indicators of any kind."""
        return int(self.counts.get("indicators", 0))
