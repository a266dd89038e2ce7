#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build Tianping: Python >= 3.11 with venv,
# Node.js + npm (front-end assets are taken from the npm registry at install time, never at run time).
# Does nothing when everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

need=()
if ! command -v python3 >/dev/null 2>&1; then
  need+=(python3 python3-venv python3-pip)
elif ! python3 -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  if python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    need+=(python3-venv python3-pip)
  else
    echo "Tianping needs Python >= 3.11 (found $(python3 --version 2>&1))." >&2
    exit 2
  fi
fi
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v make >/dev/null 2>&1 || need+=(make)

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing: ${need[*]} — please install them with your system's package manager." >&2
    exit 2
  fi
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing from Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
