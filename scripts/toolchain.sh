#!/usr/bin/env bash
# Builds the offline Pulumi toolchain into .tools/bin, once:
#   pulumi                          CLI v3.259.0 from github.com/pulumi/pulumi/pkg/v3 (tools/pulumi-cli)
#   pulumi-language-python          Python language host from sdk/v3 v3.79.0 (tools/language-python)
#   pulumi-language-python-exec     program launcher script shipped in the 3.259.0 SDK module
#   pulumi-resource-pulumi-python   dynamic-provider plugin script shipped in the 3.259.0 SDK module
# A `pulumi` already on PATH (an official install) is used as is and nothing is built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
cli_version=v3.259.0
mkdir -p "$bin"

official=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v "^$bin\$" | paste -sd:) command -v pulumi || true)
if [ -n "$official" ] && [ "${NEXUS_RAC_BUILD_PULUMI:-}" != "1" ]; then
  echo "toolchain: using the Pulumi CLI on PATH: $official ($("$official" version))"
  exec bash "$root/scripts/toolchain-extras.sh"
fi

build() { # build <module dir> <output> <package> [ldflags]
  local dir=$1 out=$2 pkg=$3 ldflags=${4:-}
  if [ -x "$bin/$out" ]; then return; fi
  echo "toolchain: building $out from $pkg (first time only, a few minutes)"
  local start=$SECONDS
  (cd "$root/tools/$dir" && go build -trimpath -ldflags "$ldflags" -o "$bin/$out" "$pkg")
  echo "toolchain: built $out in $((SECONDS - start)) s"
}

build language-python pulumi-language-python github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
build pulumi-cli pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"

sdk_dir=$(cd "$root/tools/pulumi-cli" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
echo "toolchain: $("$bin/pulumi" version) in $bin"

# actionlint (workflow checks) and the language-host front that lets this CLI run Python
# policy packs (see tools/policy-analyzer/main.go for why).
bash "$root/scripts/toolchain-extras.sh"
