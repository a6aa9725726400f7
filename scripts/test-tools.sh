#!/usr/bin/env bash
# The system tools the test suite runs beside Python: Prometheus and promtool, which the Grafana
# checks use to run every dashboard query against a real server, and Chromium with its
# WebDriver, which the browser tests drive headless. `make test` calls this first.
#
# Already on PATH or unpacked earlier: nothing to do. As root (or with password-less sudo): Debian's
# package, installed with apt-get. Otherwise, on Debian or Ubuntu: the same package downloaded with
# `apt-get download` and unpacked into .venv/tools, which needs no root; `make test` puts its bin
# folder on PATH. Anywhere else: one line saying what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="${DRIFTWATCH_TOOLS_DIR:-.venv/tools}"
# Debian package -> the command it provides.
declare -A provides=([prometheus]=prometheus [chromium]=chromium [chromium-driver]=chromedriver)

missing=()
for package in prometheus chromium chromium-driver; do
  command=${provides[$package]}
  command -v "$command" >/dev/null 2>&1 || [ -x "$tools/usr/bin/$command" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need ${missing[*]} on PATH (no apt-get here): install it with your package manager." >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null; then sudo=(sudo -n); fi
if [ "$(id -u)" -eq 0 ] || [ ${#sudo[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} for the tests (Debian packages)"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  exit 0
fi

echo "Unpacking ${missing[*]} into $tools for the tests (no root: apt-get download)"
downloads=("${missing[@]}")
# Chromium's resources are in chromium-common; the shared libraries it links are a desktop's own.
[[ " ${missing[*]} " == *" chromium "* ]] && downloads+=(chromium-common)
mkdir -p "$tools/debs"
(cd "$tools/debs" && apt-get download "${downloads[@]}")
for deb in "$tools"/debs/*.deb; do dpkg-deb -x "$deb" "$tools"; done
rm -rf "$tools/debs"
# Debian's /usr/bin/chromium is a wrapper that runs /usr/lib/chromium/chromium by absolute path.
if [ -x "$tools/usr/lib/chromium/chromium" ]; then
  ln -sf ../lib/chromium/chromium "$tools/usr/bin/chromium"
fi
