#!/usr/bin/env bash
# Builds and installs, into .tools/bin, the tools that scripts/toolchain.sh does not, once:
#   actionlint                      GitHub workflow linter, from github.com/rhysd/actionlint (tools/actionlint)
#   pulumi-analyzer-policy-python   shim that boots a Python policy pack as an analyzer (tools/policy-analyzer)
#   pulumi-language-python          a front for the v3.79.0 Python language host (tools/policy-analyzer), which
#                                   is moved to .tools/libexec; the front answers RunPlugin the way CLI v3.259.0
#                                   asks, so `pulumi preview --policy-pack DIR` runs Python policy packs
# The last two are skipped when toolchain.sh uses an official Pulumi install (it has its own language host), or
# with NEXUS_RAC_PYTHON_FRONT=0 (then only `--policy-pack DIR/<link to the shim>` runs Python policy packs).
# Idempotent: skips what is installed and up to date. Needs Go, and the Go module proxy or a warm module cache;
# run scripts/toolchain.sh first for the policy tools (the front needs the real language host it builds).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
libexec="$root/.tools/libexec"
mkdir -p "$bin"

go_build() { # go_build <module dir> <output path> <package>
  local dir=$1 out=$2 pkg=$3 start=$SECONDS
  (cd "$root/tools/$dir" && go build -mod=readonly -trimpath -o "$out.tmp.$$" "$pkg")
  mv -f "$out.tmp.$$" "$out" # atomic: a pulumi run in progress keeps the old file
  echo "toolchain-extras: built $(basename "$out") in $((SECONDS - start)) s"
}

# --- actionlint -----------------------------------------------------------------------------------------------
want=$(grep -Eo 'github\.com/rhysd/actionlint v[^ ]+' "$root/tools/actionlint/go.mod" | head -n 1 | cut -d' ' -f2)
have=$("$bin/actionlint" --version 2>/dev/null | head -n 1 || true)
if [ "$have" = "$want" ]; then
  echo "toolchain-extras: actionlint $have already installed"
else
  echo "toolchain-extras: building actionlint $want (first time only, under a minute)"
  go_build actionlint "$bin/actionlint" github.com/rhysd/actionlint/cmd/actionlint
fi

# --- Python policy packs --------------------------------------------------------------------------------------
official=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v "^$bin\$" | paste -sd:) command -v pulumi || true)
if [ -n "$official" ] && [ "${NEXUS_RAC_BUILD_PULUMI:-}" != "1" ]; then
  echo "toolchain-extras: an official Pulumi CLI is on PATH ($official): it runs Python policy packs itself"
  exit 0
fi

shim_src="$root/tools/policy-analyzer/pulumi-analyzer-policy-python"
if cmp -s "$shim_src" "$bin/pulumi-analyzer-policy-python"; then
  echo "toolchain-extras: pulumi-analyzer-policy-python already installed"
else
  install -m 0755 "$shim_src" "$bin/pulumi-analyzer-policy-python"
  echo "toolchain-extras: installed pulumi-analyzer-policy-python"
fi

if [ "${NEXUS_RAC_PYTHON_FRONT:-1}" = "0" ]; then
  echo "toolchain-extras: NEXUS_RAC_PYTHON_FRONT=0: leaving pulumi-language-python as toolchain.sh built it"
  exit 0
fi

front_module=nexus-registry-as-code/tools/policy-analyzer
is_front() { go version -m "$1" 2>/dev/null | awk '$1 == "path" {print $2}' | grep -qx "$front_module"; }

host="$bin/pulumi-language-python"
real="$libexec/pulumi-language-python"
rebuild=""
if [ -x "$host" ] && ! is_front "$host"; then
  # The real v3.79.0 host, as toolchain.sh built it (first run, or rebuilt since): keep it in .tools/libexec,
  # out of PATH's way. Copied, not moved, so a pulumi run meanwhile still finds a language host.
  mkdir -p "$libexec"
  cp -f "$host" "$real.tmp.$$" && mv -f "$real.tmp.$$" "$real"
  echo "toolchain-extras: copied the v3.79.0 language host to .tools/libexec/pulumi-language-python"
  rebuild="the language host in .tools/bin is not the front"
fi
if [ ! -x "$real" ]; then
  echo "toolchain-extras: no Python language host in .tools/libexec: run scripts/toolchain.sh first" >&2
  exit 1
fi
if [ -z "$rebuild" ]; then
  if [ ! -x "$host" ]; then
    rebuild="missing"
  elif [ -n "$(find "$root/tools/policy-analyzer" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) \
      -newer "$host" -print -quit)" ]; then
    rebuild="its sources changed"
  fi
fi
if [ -z "$rebuild" ]; then
  echo "toolchain-extras: pulumi-language-python front already installed"
else
  echo "toolchain-extras: building the pulumi-language-python front ($rebuild; under a minute)"
  go_build policy-analyzer "$host" .
fi
