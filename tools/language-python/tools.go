//go:build tools

// Package tools pins the Python language host (last shipped inside sdk/v3 at v3.79.0).
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
