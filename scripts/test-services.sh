#!/bin/sh
# Installs the services the integration tests start on 127.0.0.1 when they
# are missing: Debian's docker-registry (the CNCF distribution registry), for
# the OCI push/pull tests (host/cli/tests/all/registry.rs). Needs root (or
# sudo) only to install; does nothing when it is already there.
set -eu
if command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "test-services: docker-registry is missing and this is not root; install it with: apt-get install -y docker-registry" >&2
        exit 1
    fi
fi
echo "test-services: installing docker-registry (Debian package)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker-registry >/dev/null
# The package starts a system-wide registry on :5000; the tests start their
# own on a free loopback port and need no other.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
[ -x /usr/bin/docker-registry ]
