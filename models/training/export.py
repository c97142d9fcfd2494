"""Export a trained student to ONNX (opset 13, input1 [1,3,H,W] RGB 0..255 -> output1, dynamic H/W) and check it.

    /usr/bin/python3 models/training/export.py --style mosaic
Reads WORK/ckpt/light_<style>.pt, writes models/style/light_<style>.onnx, then runs the file in onnxruntime-node
on a held-out image and compares with PyTorch (max abs diff must be < 0.05 on the 0..255 scale).
"""
import argparse
import os
import subprocess
import sys
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
from model import StudentNet, n_params  # noqa: E402

REPO_MODELS = os.path.normpath(os.path.join(HERE, '..', 'style'))
# Committed files stay small: 8/16/32 nets are 377 KiB; the wider candy net (c3 64) is ~1.3 MiB of fp32 weights,
# most of them in the residual blocks at 1/4 resolution. The fp16 teachers are ~3.3 MiB.
MAX_BYTES = 2 << 20


def export(ckpt_path, onnx_path):
    ck = torch.load(ckpt_path, map_location='cpu')
    net = StudentNet(**ck['cfg'])
    net.load_state_dict(ck['state_dict'])
    net.eval().fold_output()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(net, torch.rand(1, 3, 240, 320) * 255, onnx_path, opset_version=13,
                          input_names=['input1'], output_names=['output1'], do_constant_folding=True,
                          dynamic_axes={'input1': {2: 'height', 3: 'width'}, 'output1': {2: 'height', 3: 'width'}})
    return net


def check(net, onnx_path, x):
    tmp = f'{data.WORK}/export_check'
    os.makedirs(tmp, exist_ok=True)
    np.save(f'{tmp}/in.npy', x.numpy())
    subprocess.run(['node', os.path.join(HERE, 'ort.mjs'), 'run', onnx_path, f'{tmp}/in.npy', f'{tmp}/out.npy'],
                   check=True)
    with torch.no_grad():
        ref = net(x).numpy()
    return float(np.abs(np.load(f'{tmp}/out.npy') - ref).max())


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--style', required=True)
    p.add_argument('--tag', default='')
    p.add_argument('--out', default=None)
    a = p.parse_args()
    torch.set_num_threads(1)
    out = a.out or f'{REPO_MODELS}/light_{a.style}.onnx'
    os.makedirs(os.path.dirname(out), exist_ok=True)
    net = export(f'{data.WORK}/ckpt/light_{a.style}{a.tag}.pt', out)
    held = data.heldout_images()
    diffs = [check(net, out, held[i][1]) for i in (0, len(held) - 1)]
    x = torch.rand(1, 3, 480, 640) * 255
    diffs.append(check(net, out, x))
    size = os.path.getsize(out)
    print(f'{out}: {size / 1024:.0f} KiB, {n_params(net)} params, max |onnx - torch| = {max(diffs):.4f}')
    assert max(diffs) < 0.05 and size < MAX_BYTES, (max(diffs), size)


if __name__ == '__main__':
    main()
