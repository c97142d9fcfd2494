#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with .device/ carried (scripts/device/pack.sh made it):
# WebGPU through the NVIDIA driver's Vulkan ICD. Writes $OUT/bench-gpu.json (or ./bench-gpu.json).
set -euo pipefail
cd "$(dirname "$0")/../.."
d=$PWD/.device
# xz where the machine has it, else Python's lzma module.
unxz() { xz -dkf "$1" 2>/dev/null || python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[1][:-3], "wb"))' "$1"; }
unxz "$d/bin/node.xz" && chmod +x "$d/bin/node"
unxz "$d/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1.xz"
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && export VK_DRIVER_FILES="$icd" && break
done
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
DEEPPHOTO_MODELS_CACHE="$d/cache" "$d/bin/node" "$d/app/bench-gpu.mjs" --provider webgpu --json "$@" | tee "${OUT:-.}/bench-gpu.json"
