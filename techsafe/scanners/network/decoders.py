"""Pull host names out of application payloads: DNS, TLS ClientHello, HTTP.

Each decoder takes raw bytes from a hostile network and returns what it could
read; malformed input gives an empty result, never an exception, a loop or
an unbounded allocation.

  DNS        RFC 1035 section 4 (message format, name compression)
  TLS        RFC 8446 section 4.1.2 (ClientHello), RFC 6066 section 3 (server_name)
  HTTP/1.x   RFC 9112 section 3.2 (Host header)
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

MAX_NAME_JUMPS = 32
MAX_RECORDS = 64


# ---- DNS ------------------------------------------------------------------


def _dns_name(msg: bytes, pos: int, lower: bool = True) -> tuple[str | None, int]:
    """(name, lower-cased unless asked not to, or None if malformed; position after the name)."""
    labels: list[str] = []
    end = -1
    jumps = 0
    size = 0
    n = len(msg)
    while True:
        if pos >= n:
            return None, 0
        length = msg[pos]
        if length == 0:
            pos += 1
            break
        if length & 0xC0 == 0xC0:
            if pos + 1 >= n:
                return None, 0
            if end < 0:
                end = pos + 2
            jumps += 1
            if jumps > MAX_NAME_JUMPS:
                return None, 0
            pos = ((length & 0x3F) << 8) | msg[pos + 1]
            continue
        if length & 0xC0:
            return None, 0  # extended label types: not used in practice
        size += length + 1
        if size > 255 or pos + 1 + length > n:
            return None, 0
        labels.append(msg[pos + 1 : pos + 1 + length].decode("utf-8" if not lower else "latin-1", "replace"))
        pos += 1 + length
    name = ".".join(labels)
    return (name.lower() if lower else name), (end if end >= 0 else pos)


def dns_names(msg: bytes) -> tuple[bool, list[str], list[str], list[bytes]]:
    """(is_response, question names, answer names incl. CNAME targets, answer addresses).

    Addresses are raw 4- or 16-byte values from A/AAAA records.
    """
    if len(msg) < 12:
        return False, [], [], []
    is_response = bool(msg[2] & 0x80)
    qd = (msg[4] << 8) | msg[5]
    an = (msg[6] << 8) | msg[7]
    questions: list[str] = []
    names: list[str] = []
    addrs: list[bytes] = []
    pos = 12
    for _ in range(min(qd, MAX_RECORDS)):
        name, pos = _dns_name(msg, pos)
        if name is None or pos + 4 > len(msg):
            return is_response, questions, names, addrs
        questions.append(name)
        pos += 4
    for name, rtype, start, end in dns_records(msg, pos, min(an, MAX_RECORDS)):
        names.append(name)
        if (rtype == 1 and end - start == 4) or (rtype == 28 and end - start == 16):
            addrs.append(msg[start:end])
        elif rtype == 5:  # CNAME: the target may be the indicator
            target, _ = _dns_name(msg, start)
            if target:
                names.append(target)
    return is_response, questions, names, addrs


def dns_records(msg: bytes, pos: int, count: int) -> Iterator[tuple[str, int, int, int]]:
    """Up to `count` resource records from `pos`: (owner name, type, rdata start,
    rdata end). Stops at the first record that does not fit the message."""
    for _ in range(count):
        name, pos = _dns_name(msg, pos)
        if name is None or pos + 10 > len(msg):
            return
        rtype = (msg[pos] << 8) | msg[pos + 1]
        rdlen = (msg[pos + 8] << 8) | msg[pos + 9]
        start = pos + 10
        pos = start + rdlen
        if pos > len(msg):
            return
        yield name, rtype, start, pos


# ---- TLS ClientHello ------------------------------------------------------


def tls_handshake_bytes(stream: bytes) -> bytes:
    """Concatenate the handshake fragments of the TLS records at the start of a stream."""
    out = []
    pos = 0
    n = len(stream)
    while pos + 5 <= n and stream[pos] == 0x16:
        length = (stream[pos + 3] << 8) | stream[pos + 4]
        out.append(stream[pos + 5 : pos + 5 + length])
        pos += 5 + length
    return b"".join(out)


def client_hello_sni(hs: bytes) -> tuple[str | None, bool]:
    """(server name, complete) from a (possibly partial) ClientHello handshake message.

    `complete` is True when the message is whole or the name was found, i.e.
    waiting for more bytes cannot help.
    """
    n = len(hs)
    if n < 4 or hs[0] != 0x01:
        return None, True
    total = 4 + ((hs[1] << 16) | (hs[2] << 8) | hs[3])
    whole = n >= total
    end = min(n, total)
    pos = 4 + 2 + 32  # type+length, legacy_version, random
    if pos + 1 > end:
        return None, whole
    pos += 1 + hs[pos]  # session id
    if pos + 2 > end:
        return None, whole
    pos += 2 + ((hs[pos] << 8) | hs[pos + 1])  # cipher suites
    if pos + 1 > end:
        return None, whole
    pos += 1 + hs[pos]  # compression methods
    if pos + 2 > end:
        return None, whole
    ext_end = min(end, pos + 2 + ((hs[pos] << 8) | hs[pos + 1]))
    pos += 2
    while pos + 4 <= ext_end:
        etype = (hs[pos] << 8) | hs[pos + 1]
        elen = (hs[pos + 2] << 8) | hs[pos + 3]
        body = pos + 4
        pos = body + elen
        if etype != 0:
            continue
        if pos > ext_end:
            return None, whole  # the name is in bytes not seen yet
        # server_name_list: u16 length, then (u8 type, u16 length, name)*
        p = body + 2
        while p + 3 <= pos:
            ntype = hs[p]
            nlen = (hs[p + 1] << 8) | hs[p + 2]
            if p + 3 + nlen > pos:
                return None, True
            if ntype == 0:
                return hs[p + 3 : p + 3 + nlen].decode("latin-1").lower().rstrip("."), True
            p += 3 + nlen
        return None, True
    return None, whole


def looks_like_client_hello(payload: bytes) -> bool:
    return len(payload) >= 6 and payload[0] == 0x16 and payload[1] == 0x03 and payload[5] == 0x01


# ---- HTTP -------------------------------------------------------------------

HTTP_METHODS = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ")
MAX_HTTP_HEAD = 8192


def http_host(payload: bytes) -> str | None:
    """The Host header (or CONNECT target) of an HTTP/1.x request, without port."""
    if not payload.startswith(HTTP_METHODS):
        return None
    head = payload[:MAX_HTTP_HEAD]
    if head.startswith(b"CONNECT "):
        line_end = head.find(b"\r\n")
        target = head[8 : line_end if line_end > 0 else None].split(b" ", 1)[0]
        return _strip_port(target.decode("latin-1"))
    lower = head.lower()
    i = lower.find(b"\r\nhost:")
    if i < 0:
        return None
    start = i + 7
    stop = head.find(b"\r\n", start)
    value = head[start : stop if stop > 0 else None].strip()
    return _strip_port(value.decode("latin-1")) or None


def _strip_port(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def ip_text(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)
