"""--redact: replace personal values in a report with stable tokens.

Phone numbers, e-mail addresses, IMEI/serial/ICCID, account names, Wi-Fi
names and device names become tokens such as [email-1] (a device name that
is only a product word such as "iPhone" or "Galaxy S21" is not personal and
stays). The same value gets
the same token everywhere, and because every format is rendered from one
redacted report value, HTML, Markdown, JSON and CSV agree token for token.

Values are found three ways: by the name of the fact that holds them
(facts named ssid, imei, udid, account..., and the device's own `name`), by
the shape of the raw lines they sit in (`Account {name=...}`, `SSID: "..."`,
`[ro.serialno]: [...]`, `UniqueDeviceID = ...`), and by their own shape
(e-mail, IMEI with a valid Luhn digit, ICCID, phone number). It errs towards
redacting too much: a long number that looks like a phone number is
redacted even if it was not one. But a number is never taken out of a
longer token (a UUID, the case id, a hex id), small counts ("Google
accounts: 1") are never personal, and the case id and UUIDs (configuration
and provisioning profile ids) are always kept exact.
"""

from __future__ import annotations

import re
from typing import Any

# Keys whose values are never personal and must stay exact (hashes, times, keys).
_KEEP_KEYS = frozenset(
    {
        "sha256", "public_key", "fingerprint", "signer", "time", "started", "created", "utc", "local",
        "size", "duration_s", "schema", "tool_version", "severity", "kind", "playbook", "playbook_id",
        "number", "exit_status", "timezone", "case_id", "date",
    }
)  # fmt: skip
_SKIP_SECTIONS = frozenset({"playbooks"})  # our own text, nothing personal

# Fact names that hold personal values -> token category.
_NAMED = (
    (re.compile(r"e-?mail", re.I), "email"),
    (re.compile(r"phone|msisdn|line1|caller", re.I), "phone"),
    (re.compile(r"imei|meid", re.I), "imei"),
    (re.compile(r"udid|unique.?device.?id|target.?identifier", re.I), "udid"),
    (re.compile(r"iccid|sim.?serial", re.I), "iccid"),
    (re.compile(r"serial", re.I), "serial"),
    (re.compile(r"account|apple.?id|user.?name|owner", re.I), "account"),
    (re.compile(r"ssid|wi-?fi|wlan|network.?name", re.I), "wifi"),
    (re.compile(r"device.?name|bluetooth.?name|hostname", re.I), "device-name"),
)

# Values recognised by the raw line around them (dumpsys, getprop, plist text).
_CONTEXT = (
    (re.compile(r"Account\s*\{\s*name=([^,}\n]+)"), "account"),
    (re.compile(r"\b(?:SSID|ssid|wifi_ssid|WifiSsid)\b\s*[:=]\s*\"([^\"\n]+)\""), "wifi"),
    (re.compile(r"\b(?:SSID|ssid)\b\s*[:=]\s*([^\s\",;}\]]+)"), "wifi"),
    (re.compile(r"\[(?:ro\.serialno|ro\.boot\.serialno|ril\.serialnumber|sys\.serialnumber)\]:\s*\[([^\]\n]+)\]"), "serial"),
    (re.compile(r"\[(?:persist\.sys\.device_name|net\.hostname|ro\.product\.device_name)\]:\s*\[([^\]\n]+)\]"), "device-name"),
    (re.compile(r"\b(?:SerialNumber|serial_number|serialno)\b\s*[:=]\s*\"?([A-Za-z0-9]{6,})"), "serial"),
    (re.compile(r"\b(?:DeviceName|device_name)\b\s*[:=]\s*\"([^\"\n]+)\""), "device-name"),
    # plist text as the iOS evidence shows it: `DeviceName = Jane's iPhone`, `UniqueDeviceID = 0000...`
    (re.compile(r"\b(?:DeviceName|Device Name)\b\s*[:=]\s*([^\"\s][^\n]*?)\s*$", re.M), "device-name"),
    (re.compile(r"\b(?:UniqueDeviceID|UDID|udid|Unique Identifier|Target Identifier)\b\s*[:=]\s*\"?([0-9A-Fa-f][0-9A-Fa-f-]{23,43})"), "udid"),
)

# Local part capped at 64 (RFC 5321): unbounded, a long word without "@" was quadratic.
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ICCID = re.compile(r"(?<![\w])89\d{17,18}[Ff]?(?![\w])")
_IMEI_PLAIN = re.compile(r"(?<![\w])\d{15}(?![\w])")
_IMEI_GROUPED = re.compile(r"(?<![\w-])\d{2}[ -]\d{6}[ -]\d{6}[ -]\d(?![\w-])")
# Not inside a longer token: never right after "x-" (case ids, UUIDs, UDIDs) nor right before "-x".
_PHONE = re.compile(r"(?<![\w./+])(?<!\w-)(\+?\(?\d[\d ()\-]{5,20}\d)(?![\w.:/]|-\w)")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{2}-\d{2}-\d{4}")
_TOKEN = re.compile(r"^\[[a-z-]+-\d+\]$")
_COUNT = re.compile(r"^\d{1,6}$")  # "Google accounts: 1", "apps_user: 24": counts, never personal
# Kept exact wherever they appear: profile / provisioning UUIDs (not personal, and needed to
# follow the evidence). The case id is added per report.
_UUID = re.compile(r"(?<![\w-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![\w-])")
_MIN_SUBSTRING = 4  # shorter values are replaced only where they are the whole field
# A device "name" that is only the product ("iPhone", "Galaxy S21", "Pixel 7 Pro") says
# nothing about the person, and redacting it would also eat "iPhone" out of every
# sentence ("This [device-name-1] runs iOS") and model ("[device-name-1]9,3").
_GENERIC_DEVICE = re.compile(
    r"(?:my\s+)?(?:apple\s+|samsung\s+|google\s+)?"
    r"(?:iphone|ipad|ipod|ipod\s+touch|android|galaxy|pixel|phone|tablet|smartphone|mobile)"
    r"(?:\s+(?:[a-z]{0,2}\d{1,3}[a-z]{0,2}|pro|max|plus|mini|ultra|lite|se|xl|xr|xs|note|fold|flip|air|\+))*",
    re.I,
)


class Redactor:
    def __init__(self, keep: tuple[str, ...] = ()) -> None:
        self._tokens: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._keep = tuple(k for k in keep if k)  # exact strings never touched (the case id)

    def token(self, category: str, value: str) -> str:
        value = value.strip()
        if category == "device-name" and _GENERIC_DEVICE.fullmatch(value):
            return value  # a product word, not a personal name: left as it is
        if value in self._tokens:
            return self._tokens[value]
        self._counts[category] = self._counts.get(category, 0) + 1
        tok = f"[{category}-{self._counts[category]}]"
        self._tokens[value] = tok
        return tok

    @property
    def replaced(self) -> dict[str, str]:
        """value -> token (kept in memory only; never written anywhere)."""
        return dict(self._tokens)

    # -- pass 1: learn values from names and context --------------------------
    def learn(self, obj: Any, key: str = "") -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in _SKIP_SECTIONS or k in _KEEP_KEYS:
                    continue
                self.learn(v, str(k))
            # {"name": "imei", "value": "..."} pairs (device facts, finding facts)
            name = obj.get("name")
            if isinstance(name, str) and isinstance(obj.get("value"), str):
                if key == "device" and name == "name":  # the device's own name ("Jane's iPhone")
                    name = "device_name"
                self._learn_named(name, obj["value"])
        elif isinstance(obj, list):
            for item in obj:
                self.learn(item, key)
        elif isinstance(obj, str):
            self._learn_named(key, obj)
            for pattern, category in _CONTEXT:
                for m in pattern.finditer(obj):
                    value = m.group(1).strip()
                    if value and not _TOKEN.match(value):
                        self.token(category, value)

    def _learn_named(self, name: str, value: str) -> None:
        if not value.strip() or name in ("name", "value", "") or _COUNT.match(value.strip()):
            return
        for pattern, category in _NAMED:
            if pattern.search(name):
                # "a@x.com (com.google), bob (com.whatsapp)": one token per item
                for part in re.split(r",\s+", value):
                    part = re.sub(r"\s*\([^()]*\)$", "", part).strip()
                    if part and not _TOKEN.match(part):
                        self.token("email" if _EMAIL.fullmatch(part) else category, part)
                return

    # -- pass 2: replace ------------------------------------------------------
    def apply(self, obj: Any, key: str = "") -> Any:
        if isinstance(obj, dict):
            return {
                k: (v if (k in _SKIP_SECTIONS or k in _KEEP_KEYS) else self.apply(v, str(k))) for k, v in obj.items()
            }
        if isinstance(obj, list):
            return [self.apply(item, key) for item in obj]
        if isinstance(obj, str):
            return self.text(obj)
        return obj

    def text(self, text: str) -> str:
        stripped = text.strip()
        if stripped in self._tokens:
            return self._tokens[stripped]
        kept: list[str] = []
        if self._keep or _UUID.search(text):
            text = self._hide_kept(text, kept)
        text = self._redact(text)
        for i, original in enumerate(kept):
            text = text.replace(_placeholder(i), original)
        return text

    def _hide_kept(self, text: str, kept: list[str]) -> str:
        """Swap the case id and UUIDs for letter-only placeholders that no pattern can match."""

        def hide(m: re.Match) -> str:
            kept.append(m.group(0))
            return _placeholder(len(kept) - 1)

        for value in self._keep:
            text = re.sub(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])", hide, text)
        return _UUID.sub(hide, text)

    def _redact(self, text: str) -> str:
        for value in sorted(self._tokens, key=len, reverse=True):
            if len(value) >= _MIN_SUBSTRING and value in text:
                text = text.replace(value, self._tokens[value])
        text = _EMAIL.sub(lambda m: self.token("email", m.group(0)), text)
        text = _ICCID.sub(lambda m: self.token("iccid", m.group(0)), text)
        text = _IMEI_GROUPED.sub(lambda m: self.token("imei", m.group(0)), text)
        text = _IMEI_PLAIN.sub(lambda m: self.token("imei", m.group(0)) if _luhn_ok(m.group(0)) else m.group(0), text)
        text = _PHONE.sub(self._phone, text)
        return text

    def _phone(self, m: re.Match) -> str:
        candidate = m.group(1).strip(" -")
        if _looks_like_phone(candidate):
            return m.group(0).replace(candidate, self.token("phone", candidate))
        return m.group(0)


def _placeholder(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(ord("a") + r) + letters
    return f"KEEPxx{letters}xxKEEP"


def _looks_like_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15 or candidate.count("(") != candidate.count(")"):
        return False
    if candidate.startswith("+"):
        return True
    if _DATE_LIKE.match(candidate):
        return False
    if "(" in candidate or "-" in candidate:
        return True
    # Bare digit runs: long enough to be a number, but not a Unix time in s or ms.
    if len(digits) < 10 or candidate.count(" ") > 3:
        return False
    if digits[0] == "1" and len(digits) in (10, 13):
        return False
    return True


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def redact_report(content: dict[str, Any]) -> dict[str, Any]:
    """The same report with personal values replaced by consistent tokens."""
    case_id = (content.get("case") or {}).get("case_id") if isinstance(content.get("case"), dict) else None
    redactor = Redactor(keep=(case_id,) if isinstance(case_id, str) else ())
    redactor.learn(content)
    out = redactor.apply(content)
    out["redacted"] = True
    return out
