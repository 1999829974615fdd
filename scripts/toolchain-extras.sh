#!/usr/bin/env bash
# Builds and installs, into .tools/bin, the tools that scripts/toolchain.sh does not, once:
#   actionlint                      GitHub workflow linter, from github.com/rhysd/actionlint (tools/actionlint)
#   pulumi-analyzer-policy-python   shim that boots a Python policy pack as an analyzer (tools/policy-analyzer)
#   pulumi-language-python          a front for the v3.79.0 Python language host (tools/policy-analyzer), which
#                                   is moved to .tools/libexec; the front answers RunPlugin the way CLI v3.259.0
#                                   asks, so `pulumi preview --policy-pack DIR` runs Python policy packs
# The last two are skipped when toolchain.sh uses an official Pulumi install (it has its own language host), or
# with NEXUS_RAC_PYTHON_FRONT=0 (then only `--policy-pack DIR/<link to the shim>` runs Python policy packs).
# Idempotent: skips what is installed and up to date (decided from versions and a hash of the sources, never
# from file times, so a .tools restored from a cache next to a fresh clone is used as it is, without Go). Building
# needs Go, and the Go module proxy or a warm module cache; without Go, actionlint is left out with a warning
# (the workflow lint test then skips). Run scripts/toolchain.sh first for the policy tools (the front needs the
# real language host it builds).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
libexec="$root/.tools/libexec"
mkdir -p "$bin"
outside_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v "^$bin\$" | paste -sd:)

go_build() { # go_build <module dir> <output path> <package>
  local dir=$1 out=$2 pkg=$3 start=$SECONDS
  (cd "$root/tools/$dir" && go build -mod=readonly -trimpath -o "$out.tmp.$$" "$pkg")
  mv -f "$out.tmp.$$" "$out" # atomic: a pulumi run in progress keeps the old file
  echo "toolchain-extras: built $(basename "$out") in $((SECONDS - start)) s"
}

# --- actionlint -----------------------------------------------------------------------------------------------
want=$(grep -Eo 'github\.com/rhysd/actionlint v[^ ]+' "$root/tools/actionlint/go.mod" | head -n 1 | cut -d' ' -f2)
have=$("$bin/actionlint" --version 2>/dev/null | head -n 1 || true)
on_path=$(PATH=$outside_path command -v actionlint || true)
if [ "$have" = "$want" ]; then
  echo "toolchain-extras: actionlint $have already installed"
elif [ -n "$on_path" ] && [ "$("$on_path" --version 2>/dev/null | head -n 1)" = "$want" ]; then
  ln -sfn "$on_path" "$bin/actionlint"
  echo "toolchain-extras: using actionlint $want on PATH: $on_path"
elif ! command -v go >/dev/null; then
  echo "toolchain-extras: WARNING: no Go to build actionlint $want (nor that version on PATH): the workflow lint test will skip" >&2
else
  echo "toolchain-extras: building actionlint $want (first time only, under a minute)"
  go_build actionlint "$bin/actionlint" github.com/rhysd/actionlint/cmd/actionlint
fi

# --- Python policy packs --------------------------------------------------------------------------------------
official=$(PATH=$outside_path command -v pulumi || true)
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
# Go records the main module's path in every binary it builds (what `go version -m` shows); reading it
# with grep needs no Go.
is_front() { grep -aqF "$front_module" "$1"; }
front_sources() { # one hash of the front's sources, whatever their file times
  (cd "$root/tools/policy-analyzer" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) |
    LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1
}

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
stamp="$libexec/pulumi-language-python-front.sources"
sources=$(front_sources)
if [ -z "$rebuild" ]; then
  if [ ! -x "$host" ]; then
    rebuild="missing"
  elif [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$sources" ]; then
    rebuild="its sources changed" # (a front built before the hash was kept is taken as built from these)
  fi
fi
if [ -z "$rebuild" ]; then
  echo "toolchain-extras: pulumi-language-python front already installed"
else
  echo "toolchain-extras: building the pulumi-language-python front ($rebuild; under a minute)"
  go_build policy-analyzer "$host" .
fi
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sources" ] || printf '%s\n' "$sources" >"$stamp"
