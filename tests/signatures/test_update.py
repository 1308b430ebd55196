"""`techsafe signatures update` against a real HTTPS server on 127.0.0.1.

The server is Python's http.server wrapped in TLS with a self-signed
certificate made here with `cryptography`; the client trusts it only through
--cafile / TECHSAFE_CA_BUNDLE, exactly as a clinic with its own proxy CA would.
It serves the shared Echap files at upstream's paths (ioc.yaml at the root,
network.csv under generated/), or hostile variants of them.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
import threading
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from techsafe.cli import cli
from techsafe.signatures import FeedError, load_indicators
from techsafe.signatures import store
from techsafe.signatures.update import update_echap

Route = tuple[int, bytes, dict[str, str]]


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "techsafe test server")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "server.pem", tmp / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


class Server:
    def __init__(self, tmp: Path) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.cafile, key = _self_signed(tmp)
        routes, requests = self.routes, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                requests.append(self.path)
                status, body, headers = routes.get(self.path, (404, b"not found", {}))
                self.send_response(status)
                headers = {"Content-Length": str(len(body)), **headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cafile, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/stalkerware-indicators/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> None:
        self.routes["/stalkerware-indicators/" + path] = (status, body, headers)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path: Path, echap_dir: Path) -> Iterator[Server]:
    srv = Server(tmp_path)
    for name in ("ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar"):
        srv.serve(name, (echap_dir / name).read_bytes())
    srv.serve("generated/network.csv", (echap_dir / "network.csv").read_bytes())
    yield srv
    srv.close()


def test_update_over_https_with_cafile(server: Server) -> None:
    result = CliRunner().invoke(cli, ["signatures", "update", "--url", server.url, "--cafile", str(server.cafile)])
    assert result.exit_code == 0, result.output
    assert "the only time techsafe uses the internet" in result.output
    assert "613 stalkerware package names" in result.output
    feeds, _ = store.installed()
    (feed,) = feeds
    assert feed.info.source == server.url and feed.info.kind == "echap"
    assert dict(feed.info.files).keys() == {"ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar", "network.csv"}
    assert feed.info.version.startswith(feed.info.imported_at[:10] + "+")
    assert feed.info.data_date == ""  # age counts from this download
    ind = load_indicators()
    assert ind.match_package("com.systemservice").match.source == "echap"
    assert ind.stalkerware_feed_status()[0] is True
    assert ind.yara_rule_files()[0].name == "rules.yar"


def test_ca_bundle_from_environment_and_optional_404(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    del server.routes["/stalkerware-indicators/samples.csv"]
    monkeypatch.setenv("TECHSAFE_CA_BUNDLE", str(server.cafile))
    result = update_echap(server.url)
    assert result.skipped == ("samples.csv",)
    assert "samples" not in result.info.counts


def test_untrusted_certificate_is_refused(server: Server) -> None:
    with pytest.raises(FeedError, match=r"secure connection failed \(CERTIFICATE_VERIFY_FAILED\)|certificate verify failed"):
        update_echap(server.url)
    assert store.installed() == ([], [])


def test_plain_http_and_downgrade_redirects_are_refused(server: Server) -> None:
    result = CliRunner().invoke(cli, ["signatures", "update", "--url", "http://example.org/feed/"])
    assert result.exit_code == 1
    assert result.output.strip() == "techsafe: http://example.org/feed/: refusing to download indicators except over https://"
    server.serve("ioc.yaml", b"", status=302, Location="http://example.org/ioc.yaml")
    with pytest.raises(FeedError, match=r"^http://example.org/ioc.yaml: refusing"):
        update_echap(server.url, cafile=server.cafile)
    assert server.requests == ["/stalkerware-indicators/ioc.yaml"]


@pytest.fixture
def installed_first(server: Server) -> str:
    return update_echap(server.url, cafile=server.cafile).info.sha256


def _still_installed(sha: str) -> None:
    feeds, problems = store.installed()
    assert [f.info.sha256 for f in feeds] == [sha] and problems == []
    assert load_indicators().match_package("com.systemservice").match.source == "echap"


def test_truncated_update_is_rejected(server: Server, installed_first: str, echap_dir: Path) -> None:
    server.serve("ioc.yaml", (echap_dir / "ioc.yaml").read_bytes()[:30000])
    with pytest.raises(FeedError, match=r"ioc.yaml: only \d+ apps and \d+ package names"):
        update_echap(server.url, cafile=server.cafile)
    _still_installed(installed_first)


def test_cut_short_download_is_rejected(server: Server, installed_first: str, echap_dir: Path) -> None:
    body = (echap_dir / "ioc.yaml").read_bytes()
    server.serve("ioc.yaml", body[:1000], **{"Content-Length": str(len(body))})
    with pytest.raises(FeedError, match=r"ioc.yaml: the download was cut short \(1000 of \d+ bytes\)"):
        update_echap(server.url, cafile=server.cafile)
    _still_installed(installed_first)


def test_corrupt_yaml_is_rejected(server: Server, installed_first: str) -> None:
    server.serve("ioc.yaml", b"- name: X\n  packages: [a.b\n")
    with pytest.raises(FeedError, match=r"stalkerware-indicators/ioc.yaml: not valid YAML at line 3"):
        update_echap(server.url, cafile=server.cafile)
    _still_installed(installed_first)


def test_python_tag_yaml_is_rejected_and_not_run(server: Server, installed_first: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    server.serve("ioc.yaml", f"- name: !!python/object/apply:os.system ['touch {marker}']\n".encode())
    with pytest.raises(FeedError, match=r"ioc.yaml: not valid YAML"):
        update_echap(server.url, cafile=server.cafile)
    assert not marker.exists()
    _still_installed(installed_first)


def test_huge_file_is_refused(server: Server, installed_first: str) -> None:
    server.serve("rules.yar", b"/*" + b"x" * (3 * 1024 * 1024) + b"*/")  # cap for rules.yar: 2 MB
    with pytest.raises(FeedError, match=r"rules.yar: 3 MB is over the 2 MB limit"):
        update_echap(server.url, cafile=server.cafile)
    _still_installed(installed_first)


def test_missing_ioc_yaml(server: Server) -> None:
    del server.routes["/stalkerware-indicators/ioc.yaml"]
    with pytest.raises(FeedError, match=r"ioc.yaml: not found \(404\)"):
        update_echap(server.url, cafile=server.cafile)


def test_update_refuses_a_feed_that_labels_system_apps_as_stalkerware(server: Server, echap_dir: Path) -> None:
    good = update_echap(server.url, cafile=server.cafile).info
    hostile = (echap_dir / "ioc.yaml").read_bytes() + b"\n- name: Evil Monitor\n  type: stalkerware\n  packages:\n  - com.google.android.gms\n"
    server.serve("ioc.yaml", hostile)
    result = CliRunner().invoke(cli, ["signatures", "update", "--url", server.url, "--cafile", str(server.cafile)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"techsafe: {server.url}ioc.yaml: stalkerware entry 'Evil Monitor' lists com.google.android.gms, a core Android "
        "system app; refusing to import this feed (it would report the phone's own system as spying)"
    )
    feeds, _ = store.installed()
    assert [(f.info.name, f.info.sha256) for f in feeds] == [("echap", good.sha256)]  # the previous copy stays


def test_update_with_far_fewer_apps_is_rejected(server: Server, installed_first: str, echap_dir: Path) -> None:
    import yaml

    entries = yaml.safe_load((echap_dir / "ioc.yaml").read_text("utf-8"))
    server.serve("ioc.yaml", yaml.safe_dump(entries[:70], sort_keys=False).encode())  # above the sanity minimum
    with pytest.raises(FeedError) as caught:
        update_echap(server.url, cafile=server.cafile)
    assert str(caught.value) == (
        f"{server.url}ioc.yaml: has 70 stalkerware apps, fewer than half of the 147 installed in 'echap' "
        "(truncated?); use --force to replace it anyway"
    )
    _still_installed(installed_first)
    assert update_echap(server.url, cafile=server.cafile, force=True).info.counts["stalkerware_apps"] == 70
