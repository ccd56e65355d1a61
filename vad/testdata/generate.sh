#!/usr/bin/env bash
# Regenerates the speech clips the vad tests use: each phrase spoken by
# espeak-ng (default voice, en), converted to 16 kHz mono 16-bit PCM and
# trimmed of the silence espeak-ng puts around it (sox's silence effect at
# -50 dBFS), so that each file is speech from its first sample to its last.
# The tests add silence, noise and other clips around them in Go, so the
# spoken parts' times are known exactly.
#
# Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox). The
# committed clips were made with eSpeak NG 1.51 and SoX 14.4; other versions
# speak slightly differently, so regenerate only on purpose.
set -euo pipefail
cd "$(dirname "$0")"
for tool in espeak-ng sox; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "generate.sh: $tool is needed (Debian: apt-get install espeak-ng sox)" >&2
		exit 1
	}
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# say NAME TEXT writes NAME.wav.
say() {
	espeak-ng -w "$tmp/$1.wav" "$2"
	sox "$tmp/$1.wav" -r 16000 -c 1 -b 16 "$1.wav" \
		silence 1 0.005 -50d reverse silence 1 0.005 -50d reverse
	printf '%s.wav\t%s\t%s s\n' "$1" "$2" "$(soxi -D "$1.wav")"
}

say hello "Hello there."
say howareyou "How are you today?"
say um "Um."
say think "I think we should leave now."
say no "No."
