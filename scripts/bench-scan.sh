#!/usr/bin/env bash
# The scanner measured side by side with zbarimg, ZXingReader (zxing-cpp)
# and Java ZXing (issue 4). Installs the peers from Debian when missing,
# builds cmd/scanbench, generates the seeded corpus in a temporary folder,
# runs every tool as one process over it (pinned to one core), runs the
# public ZXing/zxing-cpp test images when ../shared/qr-corpus is there, and
# writes the tables into the scanner section of docs/benchmarks.md.
# Extra arguments go to scanbench (e.g. -n 260 for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
command -v zbarimg >/dev/null || want+=(zbar-tools)
command -v ZXingReader >/dev/null || want+=(zxing-cpp-tools)
command -v java >/dev/null || want+=(default-jre-headless)
[ -f /usr/share/java/javase.jar ] || want+=(libzxing-javase-java)
[ -f /usr/share/java/core.jar ] || want+=(libzxing-core-java)
[ -f /usr/share/java/jcommander.jar ] || want+=(libjcommander-java)
command -v taskset >/dev/null || want+=(util-linux)
if [ ${#want[@]} -gt 0 ]; then
	echo "installing: ${want[*]}" >&2
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi

mkdir -p bin
go build -o bin/scanbench ./cmd/scanbench
exec ./bin/scanbench -shared ../shared/qr-corpus -write docs/benchmarks.md "$@"
