#!/usr/bin/env bash
# Debian packages the test suite uses: nginx (reverse-proxy routing tests, run unprivileged on
# loopback), skopeo (a real registry client for the docker path: push, pull, refused pushes,
# directly and through nginx) and a C compiler (the Makefile builds its exit-code plugin,
# scripts/make_exit_code.c). Java's keytool is expected from the machine's JDK. Idempotent.
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v keytool >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system-packages: all present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system-packages: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
