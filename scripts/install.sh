#!/usr/bin/env bash
# The one install command (`npm run setup`): system packages, npm packages, model preparation.
# Needs the npm registry and Debian's package archive; nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: ffmpeg (recording remux, test clips), Debian's chromium (end-to-end tests, Playwright) and
# coturn (the TURN relay the end-to-end TURN test starts on loopback; also a ready TURN server for deployments).
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/turnserver ] || missing+=(coturn)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install: need Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "install: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages exactly as locked (onnxruntime-node's CUDA download is skipped by .npmrc). The lock lists every
# platform's optional packages, so `npm ci` accepts it and never rewrites it.
npm ci --no-audit --no-fund

# Models: convert MediaPipe's .tflite files to ONNX with our converter; report which style nets resolve.
npm run models:prepare

# The web page: a static export served by the server at / (Next.js; no telemetry, nothing downloaded).
NEXT_TELEMETRY_DISABLED=1 npm run build:web

echo "install: done. Start with: npm start"
