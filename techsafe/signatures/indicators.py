"""IndicatorSet: every installed feed plus the bundled catalogue, one look-up API.

Look-ups are dictionary hits (a domain costs one per label), never scans, so
checks can call them for every package, certificate, DNS name and IP.
When several feeds match, the most severe category wins
(stalkerware/spyware > watchware > the catalogue's categories); on a tie,
an imported feed beats the catalogue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from techsafe import paths
from techsafe.model import IndicatorMatch
from techsafe.signatures import store
from techsafe.signatures.index import (
    FeedIndex,
    norm_bundle,
    norm_cert,
    norm_domain,
    norm_ip,
    norm_package,
    norm_sha256,
    norm_url,
    url_candidates,
)
from techsafe.signatures.records import FeedError, FeedInfo, SignatureHit, category_rank

STALE_AFTER_DAYS = 30
# The main stalkerware list: the feed `signatures update` installs and `signatures import`
# names by default for an Echap ioc.yaml or folder.
MAIN_STALKERWARE_FEED = "echap"


@dataclass(frozen=True)
class LoadedFeed:
    info: FeedInfo
    index: FeedIndex
    networks: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int, str], ...]
    folder: Path | None = None  # None for the catalogue and for unsaved (extra) feeds


def _loaded(info: FeedInfo, index: FeedIndex, folder: Path | None) -> LoadedFeed:
    nets = tuple((ipaddress.ip_network(c), e, f) for c, e, f in index.networks)
    return LoadedFeed(info=info, index=index, networks=nets, folder=folder)


class IndicatorSet:
    """Immutable once built. Build with load_indicators()."""

    def __init__(self, feeds: Iterable[LoadedFeed], problems: Iterable[str] = ()) -> None:
        # Imported feeds first, the catalogue last: ties go to the imported feed.
        self._feeds: tuple[LoadedFeed, ...] = tuple(sorted(feeds, key=lambda f: (f.info.kind == "catalogue", f.info.name)))
        self.problems: tuple[str, ...] = tuple(problems)

    # --- what is loaded -------------------------------------------------------
    @property
    def feeds(self) -> tuple[FeedInfo, ...]:
        return tuple(f.info for f in self._feeds)

    def yara_rule_files(self) -> list[Path]:
        out: list[Path] = []
        for feed in self._feeds:
            if feed.folder is not None and feed.info.counts.get("yara_rules") and (feed.folder / "rules.yar").is_file():
                out.append(feed.folder / "rules.yar")
        bundled = paths.resource_dir("signatures") / "yara"
        if bundled.is_dir():
            out.extend(sorted(p for p in bundled.glob("*.yar") if p.is_file()))
        return out

    def stalkerware_feed_status(self, now: dt.datetime | None = None) -> tuple[bool, str]:
        """(ok, plain-language message) about the stalkerware feed's presence and age."""
        # Judged on the Echap feed alone: a fresher extra feed (a clinic's own list, a STIX
        # bundle, watchware) does not replace Echap's list of stalkerware apps, so it must
        # not hide that Echap is missing or stale.
        now = now or dt.datetime.now(dt.timezone.utc)
        feeds = [f.info for f in self._feeds if f.info.kind == "echap" and f.info.name == MAIN_STALKERWARE_FEED]
        if not feeds:
            others = sorted(f.info.name for f in self._feeds if f.info.kind != "catalogue")
            if others:
                return False, (
                    f"The Echap stalkerware feed is not installed (the other feeds, {', '.join(others)}, do not "
                    "replace its list of stalkerware apps), so lesser-known stalkerware will be missed. "
                    "Run `techsafe signatures update` (needs internet) or `techsafe signatures import FOLDER`."
                )
            return False, (
                "No stalkerware indicator feed is installed: only techsafe's short built-in list of well-known "
                "stalkerware is used, so lesser-known stalkerware will be missed. "
                "Run `techsafe signatures update` (needs internet) or `techsafe signatures import FOLDER`."
            )
        newest = feeds[0]
        when = _feed_time(newest)
        if when is None:
            return False, f"The stalkerware feed '{newest.name}' has no date, so its age is unknown. Run `techsafe signatures update`."
        days = max(0, (now - when).days)
        basis = "data dated" if newest.data_date else "downloaded"
        if days > STALE_AFTER_DAYS:
            return False, (
                f"The stalkerware feed '{newest.name}' is {days} days old ({basis} {when.date().isoformat()}); "
                f"apps added since then will be missed. Run `techsafe signatures update`."
            )
        return True, f"The stalkerware feed '{newest.name}' is {days} day{'s' if days != 1 else ''} old ({basis} {when.date().isoformat()})."

    # --- look-ups ---------------------------------------------------------------
    def match_package(self, package: str) -> SignatureHit | None:
        value = norm_package(package) if isinstance(package, str) else None
        return self._best("package", [value] if value else [])

    def match_bundle(self, bundle_id: str) -> SignatureHit | None:
        value = norm_bundle(bundle_id) if isinstance(bundle_id, str) else None
        return self._best("bundle", [value] if value else [])

    def match_cert(self, hexdigest: str) -> SignatureHit | None:
        value = norm_cert(hexdigest) if isinstance(hexdigest, str) else None
        return self._best("cert", [value] if value else [])

    def match_file_sha256(self, hexdigest: str) -> SignatureHit | None:
        value = norm_sha256(hexdigest) if isinstance(hexdigest, str) else None
        return self._best("sha256", [value] if value else [])

    def match_domain(self, domain: str) -> SignatureHit | None:
        """The name itself or a parent on a label boundary (a.b.evil.com -> evil.com),
        never a bare suffix (notevil.com is not evil.com)."""
        value = norm_domain(domain) if isinstance(domain, str) else None
        if not value:
            return None
        labels = value.split(".")
        # Most specific first; never the bare top-level label on its own.
        candidates = [".".join(labels[i:]) for i in range(max(1, len(labels) - 1))]
        return self._best("domain", candidates)

    def match_ip(self, ip: str) -> SignatureHit | None:
        value = norm_ip(ip) if isinstance(ip, str) else None
        if not value:
            return None
        hit = self._best("ip", [value])
        if hit is not None:
            return hit
        addr = ipaddress.ip_address(value)
        hits = []
        for feed in self._feeds:
            for net, entry, field_name in feed.networks:
                if addr.version == net.version and addr in net:
                    hits.append(self._hit(feed, entry, field_name, net.compressed))
                    break
        return _most_severe(hits)

    def match_url(self, url: str) -> SignatureHit | None:
        value = norm_url(url) if isinstance(url, str) else None
        if not value:
            return None
        hit = self._best("url", url_candidates(value))
        if hit is not None:
            return hit
        host = value.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
        if host.startswith("["):
            return self.match_ip(host.split("]")[0].strip("["))
        host = host.rsplit(":", 1)[0] if ":" in host else host
        return self.match_ip(host) if norm_ip(host) else self.match_domain(host)

    def match_profile_id(self, ident: str) -> SignatureHit | None:
        value = ident.strip().upper() if isinstance(ident, str) else ""
        return self._best("profile", [value] if value else [])

    def match_file_path(self, path: str) -> SignatureHit | None:
        value = path.strip() if isinstance(path, str) else ""
        return self._best("file_path", [value] if value else [])

    def match_process(self, name: str) -> SignatureHit | None:
        value = name.strip() if isinstance(name, str) else ""
        return self._best("process", [value] if value else [])

    # --- internals --------------------------------------------------------------
    def _best(self, kind: str, candidates: list[str]) -> SignatureHit | None:
        hits: list[SignatureHit] = []
        for feed in self._feeds:
            table = feed.index.maps.get(kind)
            if not table:
                continue
            for value in candidates:
                found = table.get(value)
                if found is not None:
                    hits.append(self._hit(feed, found[0], found[1], value))
                    break  # most specific value of this feed
        best = _most_severe(hits)
        if best is not None and not best.description:
            # Keep the catalogue's plain words even when a feed's category wins.
            described = next((h.description for h in hits if h.description), "")
            if described:
                best = replace(best, description=described)
        return best

    @staticmethod
    def _hit(feed: LoadedFeed, entry: int, field_name: str, value: str) -> SignatureHit:
        name, category, description = feed.index.entries[entry]
        return SignatureHit(
            category=category,
            match=IndicatorMatch(source=feed.info.name, version=feed.info.version, entry=name, field=field_name, value=value),
            name=name,
            description=description,
        )


def _most_severe(hits: list[SignatureHit]) -> SignatureHit | None:
    best: SignatureHit | None = None
    for hit in hits:  # stable: on equal rank the earlier feed (imported before catalogue) wins
        if best is None or category_rank(hit.category) > category_rank(best.category):
            best = hit
    return best


def _feed_time(info: FeedInfo) -> dt.datetime | None:
    for text in (info.data_date, info.imported_at):
        if text:
            try:
                when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                continue
            return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return None


def load_indicators(
    extra: Iterable[Path] = (),
    *,
    installed: bool = True,
    catalogue: bool = True,
) -> IndicatorSet:
    """Every installed feed + the bundled catalogue (+ `extra` feed paths parsed
    in memory, not installed: handy for tests and one-off analyses).

    Never raises for a broken installed feed or catalogue: it is left out and
    named in `.problems` (reports show them) so one bad file cannot stop a scan.
    A bad `extra` path does raise FeedError: the caller asked for it.
    """
    feeds: list[LoadedFeed] = []
    problems: list[str] = []
    if installed:
        found, problems = store.installed()
        for feed in found:
            try:
                feeds.append(_loaded(feed.info, store.load_index(feed), feed.folder))
            except FeedError as exc:
                problems.append(str(exc))
    if catalogue:
        from techsafe.signatures.catalogue import load_catalogue

        try:
            cat = load_catalogue()
            feeds.append(_loaded(cat.info(), cat.index(), None))
        except FeedError as exc:
            problems.append(str(exc))
    for path in extra:
        from techsafe.signatures.importer import parse_path

        kind, name, files, parsed = parse_path(Path(path))
        hashes = {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}
        info = FeedInfo(
            name=name,
            kind=kind,
            version=parsed.version or store.combined_sha256(hashes)[:12],
            sha256=store.combined_sha256(hashes),
            imported_at="",
            source=str(Path(path).resolve()),
            counts=dict(parsed.counts),
            data_date=parsed.data_date,
            files=tuple(sorted(hashes.items())),
        )
        folder = Path(path) if Path(path).is_dir() else None
        feeds.append(_loaded(info, parsed.index, folder))
    return IndicatorSet(feeds, problems)
