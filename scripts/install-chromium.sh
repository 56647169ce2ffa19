#!/bin/sh
# Installs Debian's headless-capable Chromium and its WebDriver when missing,
# for the browser tests of the server (host/cli/tests/all/server_browser.rs).
# Needs root (or sudo); does nothing when both are already installed.
set -eu
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-chromium: chromium and chromium-driver are missing and this is not root; install them with: apt-get install -y chromium chromium-driver" >&2
        exit 1
    fi
fi
echo "install-chromium: installing chromium and chromium-driver (Debian packages)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
