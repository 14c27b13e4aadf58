#!/usr/bin/env bash
# Regenerates the checkpoint's sound clips: a tone that tells the verdict at
# once (the officer knows it before the words end) followed by a short
# spoken prompt, zh-CN and English, 8 kHz mono 16-bit WAV (telephone
# quality: clear enough in a noisy queue, a few KiB each).
#
# Development-time only; the WAVs are committed and embedded. Needs Debian's
# espeak-ng and sox:  apt-get install -y espeak-ng sox
# Run from anywhere:  go generate ./assets   (or bash assets/sounds/generate.sh)
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# tone NAME SOX-SYNTH-ARGS...: one tone segment at 16 kHz mono.
tone() { local out=$1; shift; sox -n -r 16000 -c 1 -b 16 "$tmp/$out.wav" synth "$@" fade 0.005 -0 0.01 gain -6; }
tone hi 0.12 sine 1320
tone lo 0.16 sine 440
tone alarm1 0.14 sine 988
tone alarm2 0.14 sine 740
tone buzz 0.30 square 220 gain -8
tone soft 0.10 sine 660
sox -n -r 16000 -c 1 -b 16 "$tmp/gap.wav" trim 0 0.06
sox -n -r 16000 -c 1 -b 16 "$tmp/pause.wav" trim 0 0.15

# The tone of each cue.
declare -A tones=(
	[pass]="hi"
	[fever]="alarm1 gap alarm2 gap alarm1 gap alarm2"
	[yellow]="lo gap lo"
	[red]="alarm1 gap alarm2 gap alarm1 gap alarm2"
	[gray]="lo gap lo"
	[invalid]="buzz"
	[stale]="buzz"
	[remeasure]="soft gap soft"
	[measure]="soft"
)
declare -A zh=(
	[pass]="请通行" [fever]="体温异常" [yellow]="黄码" [red]="红码" [gray]="灰码"
	[invalid]="无效码" [stale]="请人工核验" [remeasure]="请重新测温" [measure]="请测体温"
)
declare -A en=(
	[pass]="Please pass" [fever]="Fever" [yellow]="Yellow code" [red]="Red code" [gray]="Gray code"
	[invalid]="Invalid code" [stale]="Check manually" [remeasure]="Measure again" [measure]="Temperature please"
)

for lang in zh en; do
	mkdir -p "$lang"
	for cue in "${!tones[@]}"; do
		if [ "$lang" = zh ]; then
			espeak-ng -v cmn -s 150 -w "$tmp/say.wav" "${zh[$cue]}"
		else
			espeak-ng -v en-gb -s 160 -w "$tmp/say.wav" "${en[$cue]}"
		fi
		sox "$tmp/say.wav" -r 16000 -c 1 -b 16 "$tmp/say16.wav" silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
		parts=()
		for t in ${tones[$cue]}; do parts+=("$tmp/$t.wav"); done
		sox "${parts[@]}" "$tmp/pause.wav" "$tmp/say16.wav" -r 8000 -c 1 -b 16 "$lang/$cue.wav" norm -1
	done
done
ls -l zh en
