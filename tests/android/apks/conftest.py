"""APKs built once per session (signing takes ~0.5 s per APK with apksigner)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from apkbuild import (GENERIC_STALKERWARE_STRINGS, Signer, apksigner_sign, dex, jarsigner_sign, make_signer,
                      unsigned_apk)

CLEAN_STRINGS = ["Lcom/example/notes/MainActivity;", "Landroid/app/Activity;", "onCreate", "notes.db"]


def rule_strings(rules_text: str, rule: str) -> list[str]:
    """The text strings ($sN = "...") of one rule in a .yar file."""
    m = re.search(r"^rule\s+" + re.escape(rule) + r"\b.*?^}", rules_text, re.S | re.M)
    assert m, f"rule {rule} not in rules.yar"
    return [s.encode().decode("unicode_escape") for s in re.findall(r'^\s*\$\w+\s*=\s*"((?:[^"\\]|\\.)*)"', m.group(0), re.M)]


@dataclass(frozen=True)
class ApkLab:
    folder: Path
    rsa: Signer
    ec: Signer
    v1: Path  # apksigner, v1 only (RSA)
    v1_jar_ec: Path  # jarsigner, v1 only (EC key: META-INF/*.EC)
    v2: Path
    v3: Path
    v123: Path
    mspy: Path  # v2, DEX with strings from Echap's `mspy` rule
    clean: Path  # v2, an ordinary DEX
    generic: Path  # v2, DEX with the team rule's strings
    unsigned: Path


@pytest.fixture(scope="session")
def apk_lab(tmp_path_factory, shared) -> ApkLab:
    folder = tmp_path_factory.mktemp("apks")
    rsa = make_signer(folder, "Test Developer RSA")
    ec = make_signer(folder, "Test Developer EC", "ec")
    rules = (shared / "indicators" / "echap" / "rules.yar").read_text("utf-8")
    plain = unsigned_apk(folder / "plain.apk", {"classes.dex": dex(CLEAN_STRINGS),
                                                "lib/arm64-v8a/libnative.so": b"\x7fELF" + bytes(60)})
    mspy = unsigned_apk(folder / "mspy-unsigned.apk", {
        "classes.dex": dex(CLEAN_STRINGS),
        "classes2.dex": dex(rule_strings(rules, "mspy") + ["Lcom/android/core/Svc;"]),
    })
    generic = unsigned_apk(folder / "generic-unsigned.apk", {"classes.dex": dex(GENERIC_STALKERWARE_STRINGS)})
    return ApkLab(
        folder=folder,
        rsa=rsa,
        ec=ec,
        v1=apksigner_sign(plain, folder / "v1.apk", rsa, ("v1",)),
        v1_jar_ec=jarsigner_sign(plain, folder / "v1-jar-ec.apk", ec),
        v2=apksigner_sign(plain, folder / "v2.apk", rsa, ("v2",)),
        v3=apksigner_sign(plain, folder / "v3.apk", ec, ("v3",)),
        v123=apksigner_sign(plain, folder / "v123.apk", rsa, ("v1", "v2", "v3")),
        mspy=apksigner_sign(mspy, folder / "mspy.apk", rsa, ("v2",)),
        clean=apksigner_sign(plain, folder / "clean.apk", ec, ("v2",)),
        generic=apksigner_sign(generic, folder / "generic.apk", rsa, ("v2",)),
        unsigned=plain,
    )
