#!/usr/bin/env bash
# Installs the system packages Concord builds and runs with, skipping what is already there.
# Debian/Ubuntu only; uses sudo when not root. The Swift toolchain is not installed here: the
# README names the version to install from swift.org.
set -euo pipefail

packages=(pkg-config libpq-dev libssl-dev postgresql postgresql-contrib "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "Swift 6.x is required (tested with 6.3.1): install it from https://www.swift.org/install/linux/ and put it on PATH" >&2
  exit 1
fi
