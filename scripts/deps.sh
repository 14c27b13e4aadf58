#!/usr/bin/env bash
# Installs what building and testing yanma needs on a Debian machine that has
# Go: OpenCV's development files for gocv (the scanner), and, with "test",
# the tools the tests drive: tmux for the TUI, Xvfb and xwd for the preview
# window, aplay for the sound clips, qrencode as a second opinion on QR sizes.
# It installs only what is missing, so a second run costs nothing.
set -euo pipefail

want=()
pkg-config --exists opencv4 2>/dev/null || want+=(libopencv-dev)
if [ "${1:-}" = "test" ]; then
	command -v tmux >/dev/null || want+=(tmux)
	command -v Xvfb >/dev/null || want+=(xvfb)
	command -v xwd >/dev/null || want+=(x11-apps)
	command -v aplay >/dev/null || want+=(alsa-utils)
	command -v qrencode >/dev/null || want+=(qrencode)
fi
command -v pkg-config >/dev/null || want+=(pkg-config)

if [ ${#want[@]} -gt 0 ]; then
	echo "installing: ${want[*]}" >&2
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "deps: Go is not on PATH (install Go 1.26 or newer)" >&2; exit 1; }
