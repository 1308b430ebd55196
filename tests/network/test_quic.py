"""QUIC SNI: Initial packets decrypted with the keys of RFC 9001, checked against its Appendix A.

The vectors below are RFC 9001 Appendix A.1 (keys) and A.2 (the client
Initial packet: protected bytes and the plaintext CRYPTO frame + PADDING).
Generated packets come from quic_build.py, an encoder written separately
from techsafe's decoder and itself checked against A.2.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quic_build
from captures import PHONE_A, PHONE_B, ROUTER, T0, write_pcap
from techsafe.case import Case
from techsafe.model import Severity
from techsafe.scanners.network import quic, sources
from techsafe.scanners.network.decoders import client_hello_sni
from techsafe.scanners.network.traffic import match_capture

A1_DCID = bytes.fromhex("8394c8f03e515708")
A2_HEADER = bytes.fromhex("c300000001088394c8f03e5157080000449e00000002")
A2_PLAIN = bytes.fromhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff"
) + bytes(917)
A2_PROTECTED = bytes.fromhex(
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934"
)


def _sni(packets) -> str | None:
    stream = quic.CryptoStream()
    for p in packets:
        for offset, data in quic.crypto_frames(p.payload):
            stream.add(offset, data)
    return client_hello_sni(stream.contiguous())[0]


def test_rfc9001_a1_initial_secrets_and_keys():
    initial, client, server = quic.initial_secrets(A1_DCID)
    assert initial.hex() == "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"
    assert client.hex() == "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
    assert server.hex() == "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"
    ck = quic.packet_keys(client)
    assert (ck.key.hex(), ck.iv.hex(), ck.hp.hex()) == (
        "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2"
    )
    sk = quic.packet_keys(server)
    assert (sk.key.hex(), sk.iv.hex(), sk.hp.hex()) == (
        "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"
    )


def test_rfc9001_a2_client_initial_decrypts_to_the_published_plaintext():
    (packet,) = quic.client_initials(A2_PROTECTED)
    assert (packet.version, packet.dcid, packet.packet_number) == (1, A1_DCID, 2)
    assert packet.payload == A2_PLAIN
    assert quic.crypto_frames(packet.payload) == [(0, A2_PLAIN[4:245])]
    assert _sni([packet]) == "example.com"


def test_the_test_encoder_reproduces_rfc9001_a2_byte_for_byte():
    assert quic_build.protect(A2_HEADER, 18, 4, 2, A2_PLAIN, A1_DCID) == A2_PROTECTED


def test_tampered_or_server_packets_give_nothing():
    flipped = bytearray(A2_PROTECTED)
    flipped[600] ^= 0x01  # one bit of ciphertext: authentication fails
    assert quic.client_initials(bytes(flipped)) == []
    # A server Initial is keyed by the client's original DCID, which it does not carry.
    server_like = A2_PROTECTED[:5] + bytes([8]) + bytes(8) + A2_PROTECTED[14:]
    assert quic.client_initials(server_like) == []
    # Unknown version, short header, Retry: nothing, no exception.
    assert quic.client_initials(b"\xc0\xff\x00\x00\x1d" + A2_PROTECTED[5:]) == []
    assert quic.client_initials(b"\x40" + A2_PROTECTED[1:]) == []
    assert quic.client_initials(b"\xf0\x00\x00\x00\x01\x00\x00" + bytes(40)) == []


@pytest.mark.parametrize("version", [quic_build.V1, quic_build.V2], ids=["v1", "v2"])
@pytest.mark.parametrize("split", [False, True], ids=["one-packet", "split-out-of-order"])
def test_generated_initials_decode(version, split):
    dcid = bytes.fromhex("0011223344556677")
    datagrams = quic_build.client_hello_datagrams("protocol-a.exactspy.com", dcid, split=split, version=version)
    assert all(len(d) == 1200 for d in datagrams)  # padded as RFC 9000 14.1 requires of clients
    packets = [p for d in datagrams for p in quic.client_initials(d)]
    assert [p.packet_number for p in packets] == list(range(len(datagrams)))
    assert _sni(packets) == "protocol-a.exactspy.com"
    if split:
        assert _sni(packets[:1]) is None  # the first packet alone does not reach the name


def test_coalesced_initial_and_handshake_packets():
    dcid = bytes.fromhex("a1a2a3a4a5a6a7a8")
    initial = quic_build.initial_packet(quic_build.crypto_frame(0, quic_build.client_hello_handshake("my.copy9.com")), dcid, pad_to=600)
    # A Handshake packet (type 2) after it in the same datagram: skipped by its length, not decrypted.
    handshake = bytes([0xE3]) + (1).to_bytes(4, "big") + bytes([8]) + dcid + b"\x00" + quic_build.varint(40) + bytes(40)
    packets = quic.client_initials(initial + handshake + initial)
    assert len(packets) == 2 and _sni(packets) == "my.copy9.com"


def _udp(t, dev, dst_ip, payload, sport):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    p = Ether(src=dev[0], dst=ROUTER[0]) / IP(src=dev[1], dst=dst_ip) / UDP(sport=sport, dport=443) / payload
    p.time = t
    return p


def quic_traffic() -> list:
    a = quic_build.client_hello_datagrams("protocol-a.exactspy.com", bytes.fromhex("0102030405060708"))
    b = quic_build.client_hello_datagrams("protocol-a5.guestspy.com", bytes.fromhex("1112131415161718191a"), split=True)
    c = quic_build.client_hello_datagrams("my.copy9.com", bytes.fromhex("2122232425262728"), version=quic_build.V2)
    benign = quic_build.client_hello_datagrams("notevil-copy9.com", bytes.fromhex("3132333435363738"))
    lookalike = quic_build.client_hello_datagrams("copy9.com.example.org", bytes.fromhex("4142434445464748"))
    return [
        _udp(T0 + 1, PHONE_A, "198.51.100.20", a[0], 51000),
        _udp(T0 + 1.3, PHONE_A, "198.51.100.20", a[0], 51000),  # retransmitted: the same connection, counted once
        _udp(T0 + 2, PHONE_B, "198.51.100.21", b[0], 51001),
        _udp(T0 + 2.01, PHONE_B, "198.51.100.21", b[1], 51001),
        _udp(T0 + 3, PHONE_B, "198.51.100.22", c[0], 51002),
        _udp(T0 + 4, PHONE_A, "198.51.100.23", benign[0], 51003),
        _udp(T0 + 5, PHONE_A, "198.51.100.24", lookalike[0], 51004),
        # The server's answer to A: a long header, v1, keyed by a DCID not in it: ignored.
        _udp(T0 + 1.1, ROUTER, PHONE_A[1], A2_PROTECTED, 443),
    ]


def test_quic_sni_in_a_capture_exact_contacts(tmp_path, echap):
    from techsafe.scanners.network.analyze import analyze

    path = write_pcap(tmp_path / "quic.pcap", quic_traffic())
    with open(path, "rb") as fh:
        result = match_capture(fh, echap)
    got = sorted((c.match.value, c.name, c.via, c.devices, c.count, c.observed, round(c.first - T0, 3)) for c in result.contacts)
    assert got == [
        ("my.copy9.com", "TheTruthSpy", ("quic-sni",), ((PHONE_B[0], PHONE_B[1]),), 1, ("my.copy9.com",), 3.0),
        ("protocol-a.exactspy.com", "TheTruthSpy", ("quic-sni",), ((PHONE_A[0], PHONE_A[1]),), 1, ("protocol-a.exactspy.com",), 1.0),
        ("protocol-a5.guestspy.com", "TheTruthSpy", ("quic-sni",), ((PHONE_B[0], PHONE_B[1]),), 1, ("protocol-a5.guestspy.com",), 2.01),
    ]
    case = Case.create(tmp_path / "case")
    sources.ingest(path, case)
    findings = analyze(case, echap).findings
    assert sorted((f.kind, f.severity, f.subject, f.fact("via")) for f in findings) == [
        ("network.traffic.stalkerware_c2", Severity.CRITICAL, "my.copy9.com", "quic-sni"),
        ("network.traffic.stalkerware_c2", Severity.CRITICAL, "protocol-a.exactspy.com", "quic-sni"),
        ("network.traffic.stalkerware_c2", Severity.CRITICAL, "protocol-a5.guestspy.com", "quic-sni"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1300), st.sampled_from([b"\xc0\x00\x00\x00\x01", b"\xd0\x6b\x33\x43\xcf", b"\xe0\x00\x00\x00\x01"]))
def test_hostile_long_headers_never_crash(junk, prefix):
    for packet in quic.client_initials(prefix + junk):
        quic.crypto_frames(packet.payload)
    quic.crypto_frames(junk)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1199), st.integers(1, 255))
def test_any_corruption_of_a_valid_initial_is_rejected_or_harmless(where, xor):
    packet = bytearray(A2_PROTECTED)
    packet[where] ^= xor
    for p in quic.client_initials(bytes(packet)):
        # Only bits outside what the AEAD covers can change without detection: none here.
        assert p.payload == A2_PLAIN


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1 << 20), st.binary(min_size=1, max_size=64)), max_size=600))
def test_crypto_stream_is_bounded(chunks):
    stream = quic.CryptoStream()
    for offset, data in chunks:
        stream.add(offset, data)
    assert len(stream.contiguous()) <= quic.CryptoStream.MAX_BYTES


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=1300), st.integers(0, 1199), st.integers(0, 255))
def test_hostile_quic_datagrams_through_the_matcher(echap, junk, where, xor):
    """Random long-header datagrams and corrupted Initials inside a capture: no crash, no contact."""
    import io

    from scapy.utils import PcapWriter

    corrupted = bytearray(quic_build.client_hello_datagrams("protocol-a.exactspy.com", bytes(8))[0])
    corrupted[where] ^= xor or 1
    buf = io.BytesIO()
    w = PcapWriter(buf)
    for i, payload in enumerate((b"\xc0\x00\x00\x00\x01" + junk, bytes(corrupted))):
        w.write(_udp(T0 + i, PHONE_A, "198.51.100.30", payload, 52000 + i))
    w.flush()
    assert match_capture(io.BytesIO(buf.getvalue()), echap).contacts == ()
