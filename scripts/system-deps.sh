#!/usr/bin/env bash
# Debian packages some tests and benchmarks drive for real (run as root).
#   iproute2       network namespaces for the home-network tests
#   chromium       renders the HTML report (headless) in the report tests
#   poppler-utils  pdftotext, to read the printed (PDF) report
#   age            decrypts exported cases with the standard tool
#   yara           peer tool for the YARA benchmark
#   dbus           dbus-daemon: private bus for the simulated BlueZ (live Bluetooth tests)
#   apksigner      signs the APKs the certificate tests build (v1/v2/v3)
set -euo pipefail
packages=(iproute2 chromium poppler-utils age yara apksigner dbus)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
