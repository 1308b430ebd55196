"""`techsafe signatures update`: the ONLY code in techsafe that uses the network.

It downloads the Echap stalkerware-indicators files over HTTPS (certificate
and host name verified with the system's trust store, or a CA bundle given by
--cafile / TECHSAFE_CA_BUNDLE), each with a size cap, validates them
completely (parse, sane counts, not smaller than half of what is installed)
and only then replaces the installed copy. Nothing about the phone, the case
or the caseworker is sent: a plain GET per file with a generic User-Agent.

Plain http:// is refused except for 127.0.0.1 / localhost (tests), and so is
a redirect from https to anything that is not https.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from techsafe import __version__, paths
from techsafe.case import utc_now
from techsafe.signatures import store
from techsafe.signatures.importer import check_not_shrunk
from techsafe.signatures.records import FeedError, FeedInfo
from techsafe.signatures.safeyaml import load_yaml

DEFAULT_BASE_URL = "https://raw.githubusercontent.com/AssoEchap/stalkerware-indicators/master/"
# local name -> path under the base URL (upstream keeps generated files in generated/)
REMOTE_FILES: dict[str, str] = {
    "ioc.yaml": "ioc.yaml",
    "watchware.yaml": "watchware.yaml",
    "samples.csv": "samples.csv",
    "rules.yar": "rules.yar",
    "network.csv": "generated/network.csv",
}
REQUIRED = ("ioc.yaml",)
MB = 1024 * 1024
SIZE_CAPS = {"ioc.yaml": 8 * MB, "watchware.yaml": 2 * MB, "samples.csv": 32 * MB, "rules.yar": 2 * MB, "network.csv": 8 * MB}
# A real ioc.yaml has ~150 apps and ~600 package names; far fewer means a broken or hostile file.
MIN_STALKERWARE_APPS = 50
MIN_STALKERWARE_PACKAGES = 200
TIMEOUT_S = 30
CA_ENV = "TECHSAFE_CA_BUNDLE"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class UpdateResult:
    info: FeedInfo
    base_url: str
    skipped: tuple[str, ...]  # optional files the server did not have


def configured_base_url() -> str:
    """signatures.update_url in config_dir()/config.yaml, else upstream."""
    config = paths.config_dir() / "config.yaml"
    if not config.is_file():
        return DEFAULT_BASE_URL
    try:
        doc = load_yaml(config.read_bytes(), str(config))
    except OSError as exc:
        raise FeedError(f"{config}: cannot read ({exc.strerror})") from None
    url = ((doc or {}).get("signatures") or {}).get("update_url") if isinstance(doc, dict) else None
    if url is None:
        return DEFAULT_BASE_URL
    if not isinstance(url, str) or not url.strip():
        raise FeedError(f"{config}: signatures.update_url must be a URL")
    return url.strip()


def check_url(url: str) -> str:
    """The base URL, refused unless https (or http to this machine, for tests)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        pass
    elif parts.scheme == "http" and host in _LOCAL_HOSTS:
        pass
    else:
        raise FeedError(f"{url}: refusing to download indicators except over https://")
    return url if url.endswith("/") else url + "/"


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(base_url: str, cafile: str | None) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=context), _HttpsOnlyRedirects()]
    if (urllib.parse.urlsplit(base_url).hostname or "").lower() in _LOCAL_HOSTS:
        handlers.append(urllib.request.ProxyHandler({}))  # never send local test traffic to a proxy
    return urllib.request.build_opener(*handlers)


def _download(opener: urllib.request.OpenerDirector, url: str, cap: int) -> bytes | None:
    """The body, or None on 404. FeedError for anything else that is wrong."""
    request = urllib.request.Request(url, headers={"User-Agent": f"techsafe/{__version__}", "Accept-Encoding": "identity"})
    try:
        with opener.open(request, timeout=TIMEOUT_S) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise FeedError(f"{url}: {int(declared) // MB} MB is over the {cap // MB} MB limit")
            chunks: list[bytes] = []
            total = 0
            while True:
                chunk = response.read(64 * 1024)
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    raise FeedError(f"{url}: over the {cap // MB} MB limit, download stopped")
                chunks.append(chunk)
            # http.client does not complain when a connection closes early: count it ourselves.
            if declared and declared.isdigit() and total != int(declared):
                raise FeedError(f"{url}: the download was cut short ({total} of {int(declared)} bytes)")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise FeedError(f"{url}: server answered {exc.code} {exc.reason}") from None
    except http.client.IncompleteRead:
        raise FeedError(f"{url}: the download was cut short") from None
    except ssl.SSLError as exc:
        raise FeedError(f"{url}: secure connection failed ({exc.reason or exc.__class__.__name__})") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLError):
            reason = f"secure connection failed ({reason.reason or reason.__class__.__name__})"
        raise FeedError(f"{url}: cannot download ({reason})") from None
    except (OSError, http.client.HTTPException) as exc:
        raise FeedError(f"{url}: cannot download ({exc.__class__.__name__})") from None
    return b"".join(chunks)


def update_echap(
    url: str | None = None, *, cafile: str | Path | None = None, name: str = "echap", force: bool = False
) -> UpdateResult:
    """Download, validate and install the Echap feed. FeedError leaves the installed copy as it was."""
    base = check_url(url or configured_base_url())
    cafile = str(cafile) if cafile else os.environ.get(CA_ENV) or None
    if cafile and not Path(cafile).is_file():
        raise FeedError(f"{cafile}: CA bundle not found")
    opener = _opener(base, cafile)
    files: dict[str, bytes] = {}
    skipped: list[str] = []
    for local, remote in REMOTE_FILES.items():
        body = _download(opener, urllib.parse.urljoin(base, remote), SIZE_CAPS[local])
        if body is None:
            if local in REQUIRED:
                raise FeedError(f"{urllib.parse.urljoin(base, remote)}: not found (404)")
            skipped.append(local)
            continue
        files[local] = body

    try:
        parsed = store.parse_files("echap", files)
    except FeedError as exc:
        raise FeedError(f"{base}{exc}") from None
    apps = parsed.counts.get("stalkerware_apps", 0)
    packages = parsed.counts.get("stalkerware_packages", 0)
    if apps < MIN_STALKERWARE_APPS or packages < MIN_STALKERWARE_PACKAGES:
        raise FeedError(
            f"{base}ioc.yaml: only {apps} apps and {packages} package names "
            f"(expected at least {MIN_STALKERWARE_APPS} and {MIN_STALKERWARE_PACKAGES}); not installed"
        )
    check_not_shrunk(name, parsed, force=force, what=f"{base}ioc.yaml")
    hashes = {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}
    # Upstream has no VERSION file: the download day plus the content hash identify the copy.
    parsed.version = f"{utc_now()[:10]}+{store.combined_sha256(hashes)[:12]}"
    parsed.data_date = ""  # age is counted from this download
    info = store.install(name, "echap", files, parsed, source=base)
    return UpdateResult(info=info, base_url=base, skipped=tuple(skipped))
