#!/usr/bin/env bash
# The one install command (`npm run setup`): system packages, npm packages, model preparation.
# Needs the npm registry and Debian's package archive; nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: ffmpeg (recording remux, test clips), Debian's chromium (end-to-end tests, Playwright), redis-server
# (the cluster's coordination engine; the tests start their own) and coturn (the TURN relay the end-to-end TURN
# test starts on loopback; also a ready TURN server for deployments).
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
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

# Test dependency: a software Vulkan GPU (Mesa's lavapipe) on which onnxruntime-node's bundled WebGPU provider really
# runs, so the GPU code paths are tested without a GPU. Bookworm's own Mesa 22 lacks a feature Dawn needs; Mesa 25
# comes from Debian's bookworm-backports suite, which is added (and said so) only for this package.
# DEEPPHOTO_NO_TEST_DEPS=1 skips it (the product itself never needs it).
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ "${DEEPPHOTO_NO_TEST_DEPS:-0}" != 1 ] && ! dpkg --compare-versions "${mesa_version:-0}" ge 25; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install: the WebGPU tests need mesa-vulkan-drivers >= 25 from bookworm-backports (run as root; or set DEEPPHOTO_NO_TEST_DEPS=1)" >&2
    exit 1
  fi
  if . /etc/os-release && [ "${VERSION_CODENAME:-}" = bookworm ]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "install: adding Debian's bookworm-backports suite (/etc/apt/sources.list.d/deepphoto-backports.sources) for mesa-vulkan-drivers 25"
      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        >/etc/apt/sources.list.d/deepphoto-backports.sources
    fi
    echo "install: apt-get install -t bookworm-backports mesa-vulkan-drivers (test dependency: software Vulkan for WebGPU)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
  else
    echo "install: not Debian bookworm; install Mesa >= 25 (mesa-vulkan-drivers) yourself for the WebGPU tests" >&2
  fi
fi

# npm packages exactly as locked (onnxruntime-node's CUDA download is skipped by .npmrc). The lock lists every
# platform's optional packages, so `npm ci` accepts it and never rewrites it.
npm ci --no-audit --no-fund

# Models: convert MediaPipe's .tflite files to ONNX with our converter; report which style nets resolve.
npm run models:prepare

# The web page: a static export served by the server at / (Next.js; no telemetry, nothing downloaded).
NEXT_TELEMETRY_DISABLED=1 npm run build:web

echo "install: done. Start with: npm start"
