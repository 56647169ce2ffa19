#!/bin/sh
# Installs the services the integration tests start on 127.0.0.1 when they
# are missing: Debian's docker-registry (the CNCF distribution registry), for
# the OCI push/pull tests (host/cli/tests/all/registry.rs), and prometheus. Needs root (or
# sudo) only to install; does nothing when it is already there.
set -eu
# Debian's prometheus, for the scrape test (host/cli/tests/all/metrics_prometheus.rs).
if [ ! -x /usr/bin/prometheus ]; then
    P_SUDO=""
    if [ "$(id -u)" != 0 ]; then P_SUDO="sudo"; fi
    echo "test-services: installing prometheus (Debian package)"
    $P_SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $P_SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    # The test starts its own on a free loopback port.
    if command -v systemctl >/dev/null 2>&1; then $P_SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
fi
# Debian's postgresql, for the PostgreSQL state store tests (host/cli/tests/all/postgres*.rs);
# they start their own cluster on a free loopback port in a temporary folder.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    PG_SUDO=""
    if [ "$(id -u)" != 0 ]; then PG_SUDO="sudo"; fi
    echo "test-services: installing postgresql (Debian package)"
    $PG_SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $PG_SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    if command -v systemctl >/dev/null 2>&1; then $PG_SUDO systemctl disable --now postgresql >/dev/null 2>&1 || true; fi
fi
# Debian's nats-server, for the NATS JetStream sink and binding tests (host/cli/tests/all/nats.rs);
# they start their own server (-js) on a free loopback port in a temporary folder.
if [ ! -x /usr/bin/nats-server ] && [ ! -x /usr/sbin/nats-server ]; then
    N_SUDO=""
    if [ "$(id -u)" != 0 ]; then N_SUDO="sudo"; fi
    echo "test-services: installing nats-server (Debian package)"
    $N_SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $N_SUDO apt-get install -y -qq --no-install-recommends nats-server >/dev/null
    if command -v systemctl >/dev/null 2>&1; then $N_SUDO systemctl disable --now nats-server >/dev/null 2>&1 || true; fi
fi
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
