//go:build tools

// Package tools pins actionlint so `go build` can produce it offline from the module cache.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
