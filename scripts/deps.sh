#!/bin/sh
# Installs the Debian packages rootwatch needs to build, test and benchmark, if any is missing.
# Usage: scripts/deps.sh [build|test|bench]   (each level includes the ones before it)
set -eu
level=${1:-build}
pkgs="build-essential cmake pkg-config libdeflate-dev zlib1g-dev libyaml-dev libcurl4-openssl-dev libexpat1-dev libssl-dev libsqlite3-dev libmicrohttpd-dev python3"
case "$level" in
test | bench) pkgs="$pkgs libcmocka-dev clang libclang-rt-14-dev unzip python3-yaml openssl" ;; # unzip: test_package; python3-yaml: test_deploy_template; openssl: test_watch_sns_http signs as SNS
esac
case "$level" in
bench) pkgs="$pkgs libdeflate-tools jq hyperfine time libjansson-dev libcjson-dev libjson-c-dev libyajl-dev" ;;
esac
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "rootwatch: installing missing packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "rootwatch: need root (or sudo) to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
