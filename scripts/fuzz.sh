#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (default 1m).
# go test -fuzz takes one target per run, so they are listed and run in turn.
set -euo pipefail
t="${1:-1m}"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "== $pkg $f ($t)"
		go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
	done
done
