#!/usr/bin/env bash
# Packs what `npm run bench:gpu` needs on a machine that has a GPU but no Node.js and no network (the project's
# GPU device machine): node itself, the bench bundled into one file, onnxruntime-node's Linux x64 binaries and the
# models. Output: .device/ (git-ignored, ~50 MB, under the device tool's 64 MiB carry limit). Then run
# scripts/device/bench-gpu.sh there (see README "GPU benchmark").
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.device
rm -rf "$out"
mkdir -p "$out/app/node_modules" "$out/cache" "$out/style" "$out/bin"
xz -9e -T2 -c "$(readlink -f "$(command -v node)")" >"$out/bin/node.xz"
npx esbuild server/src/tools/bench-gpu.ts --bundle --platform=node --format=esm --log-level=warning \
  --external:onnxruntime-node --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
  --outfile="$out/app/bench-gpu.mjs"
# The bundle finds the manifest and committed models one level above itself, as models/src does.
cp models/manifest.json "$out/"
cp models/style/*.onnx "$out/style/"
cp -r node_modules/onnxruntime-common "$out/app/node_modules/"
ort="$out/app/node_modules/onnxruntime-node"
mkdir -p "$ort/bin/napi-v6/linux"
cp -r node_modules/onnxruntime-node/package.json node_modules/onnxruntime-node/dist "$ort/"
cp -r node_modules/onnxruntime-node/bin/napi-v6/linux/x64 "$ort/bin/napi-v6/linux/"
xz -9e -T2 "$ort/bin/napi-v6/linux/x64/libonnxruntime.so.1"
# Converted segmentation models and the teachers, resolved as the product resolves them (cache, then mirror).
for id in selfie-general; do
  path=$(node --import tsx -e "import('@deepphoto/models').then(async m => console.log(await m.resolveModelPath(m.findModel('$id'))))")
  cp "$path" "$out/cache/"
done
# One teacher by default (3.3 MB each; the carry limit is 64 MiB in all): DEVICE_TEACHERS="candy mosaic udnie" for more.
if [ -n "${DEEPPHOTO_MODELS_MIRROR:-}" ] && [ -d "$DEEPPHOTO_MODELS_MIRROR/style" ]; then
  for teacher in ${DEVICE_TEACHERS:-mosaic}; do cp "$DEEPPHOTO_MODELS_MIRROR/style/fns_$teacher.fp16.onnx" "$out/cache/"; done
fi
du -sh "$out"
