"""A capture with no packets proves nothing: it must never read as an all clear
(pcap header written here per the libpcap file format, tcpdump.org/manpages/pcap-savefile.5)."""

import json
import struct

import pytest
from click.testing import CliRunner

from techsafe.cli import cli


@pytest.mark.parametrize("linktype,area,reason", [
    (1, "network.traffic", "the capture holds no packets"),  # Ethernet: phone traffic
    (251, "trackers.capture", "nothing at all was heard"),  # Bluetooth LE link layer
])
def test_header_only_capture_is_not_checked(techsafe_home, tmp_path, linktype, area, reason):
    path = tmp_path / "empty.pcap"
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
    result = CliRunner().invoke(cli, ["analyze", str(path), "--case", str(tmp_path / "c"), "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["findings"] == []
    assert any(n["area"] == area and reason in n["reason"] for n in out["not_checked"])
