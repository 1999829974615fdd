#!/usr/bin/env bash
# Builds the offline Pulumi toolchain into .tools/bin, once:
#   pulumi                          CLI v3.259.0 from github.com/pulumi/pulumi/pkg/v3 (tools/pulumi-cli)
#   pulumi-language-python          Python language host from sdk/v3 v3.79.0 (tools/language-python)
#   pulumi-language-python-exec     program launcher script shipped in the 3.259.0 SDK module
#   pulumi-resource-pulumi-python   dynamic-provider plugin script shipped in the 3.259.0 SDK module
# What is there is never rebuilt nor looked up again: a .tools restored alone (a CI cache, without
# the Go module cache) needs neither Go nor the network. The CLI is rebuilt only when its version
# is not the pinned one. A `pulumi` already on PATH (an official install) is used as is and the
# CLI is not built (toolchain-extras.sh still wants actionlint, unless one is on PATH).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
cli_version=v3.259.0
sdk_module=github.com/pulumi/pulumi/sdk/v3
mkdir -p "$bin"

official=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v "^$bin\$" | paste -sd:) command -v pulumi || true)
if [ -n "$official" ] && [ "${NEXUS_RAC_BUILD_PULUMI:-}" != "1" ]; then
  echo "toolchain: using the Pulumi CLI on PATH: $official ($("$official" version))"
  exec bash "$root/scripts/toolchain-extras.sh"
fi

build() { # build <module dir> <output> <package> [ldflags]
  local dir=$1 out=$2 pkg=$3 ldflags=${4:-} start=$SECONDS
  echo "toolchain: building $out from $pkg (first time only, a few minutes)"
  (cd "$root/tools/$dir" && go build -trimpath -ldflags "$ldflags" -o "$bin/$out.tmp.$$" "$pkg")
  mv -f "$bin/$out.tmp.$$" "$bin/$out" # atomic: a pulumi run in progress keeps the old file
  echo "toolchain: built $out in $((SECONDS - start)) s"
}

sdk_dir() { # where the pinned SDK module is unpacked, fetched into the Go module cache if need be
  local dir
  dir=$(cd "$root/tools/pulumi-cli" && go list -m -f '{{.Dir}}' "$sdk_module" 2>/dev/null || true)
  if [ -z "$dir" ] || [ ! -d "$dir/python" ]; then
    (cd "$root/tools/pulumi-cli" && go mod download "$sdk_module") >&2 || true
    dir=$(cd "$root/tools/pulumi-cli" && go list -m -f '{{.Dir}}' "$sdk_module" 2>/dev/null || true)
  fi
  if [ -z "$dir" ] || [ ! -d "$dir/python" ]; then
    echo "toolchain: $sdk_module (tools/pulumi-cli/go.mod) is not in the Go module cache ($(go env GOMODCACHE 2>/dev/null)) and cannot be downloaded: it needs the Go module proxy once" >&2
    return 1
  fi
  printf '%s\n' "$dir"
}

# The Python language host (or the front toolchain-extras.sh puts in its place: either counts).
[ -x "$bin/pulumi-language-python" ] ||
  build language-python pulumi-language-python "$sdk_module/python/cmd/pulumi-language-python"

have=$(PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" version 2>/dev/null || true)
fresh_cli=""
if [ "$have" != "$cli_version" ]; then
  [ -z "$have" ] || echo "toolchain: .tools/bin/pulumi is $have, the project pins $cli_version"
  build pulumi-cli pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"
  fresh_cli=1
fi

# The two scripts come from the SDK module of the same version: installed with the CLI, or when missing.
if [ -n "$fresh_cli" ] || [ ! -x "$bin/pulumi-language-python-exec" ] || [ ! -x "$bin/pulumi-resource-pulumi-python" ]; then
  sdk=$(sdk_dir)
  install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
  install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
fi
echo "toolchain: $(PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" version) in $bin"

# actionlint (workflow checks) and the language-host front that lets this CLI run Python
# policy packs (see tools/policy-analyzer/main.go for why).
bash "$root/scripts/toolchain-extras.sh"
