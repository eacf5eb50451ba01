#!/bin/sh
# Installs the system packages the map tests need (headless Chromium, CJK fonts) when run as root.
# Not root, or apt-get missing: prints what to install; the tests that need it skip with the same message.
# `sh tests/system-packages.sh bench` also installs QGIS (qgis_process), the benchmarks' peer.
need=""
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need="$need chromium"
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need="$need fonts-wqy-microhei"
if [ "$1" = "bench" ]; then
    command -v qgis_process >/dev/null 2>&1 || need="$need qgis"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends $need >/dev/null 2>&1 \
        || apt-get install -y -qq $need >/dev/null \
        || echo "WARNING: apt-get could not install:$need"
else
    echo "############################################################"
    echo "WARNING: missing system packages:$need"
    echo "  install them with: sudo apt-get install$need"
    echo "  tests (and benchmark peers) that need them will be SKIPPED."
    echo "############################################################"
fi
exit 0
