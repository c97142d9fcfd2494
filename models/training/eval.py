"""Evaluate the exported students (models/style/light_<style>.onnx, run in onnxruntime-node) against their teachers
on the held-out set (16 photos + 6 frames of the video's last 2 s; see data.py), and time them.

    /usr/bin/python3 models/training/eval.py [--styles candy,mosaic,udnie] [--bench]

Metrics (all outputs clipped to 0..255, per image, then averaged over the 22 held-out images):
  PSNR       vs the teacher's output (the teacher run in PyTorch; checked against onnxruntime in the sanity row)
  PSNR@1/4   the same after 4x4 area averaging of both images
  gap closed 1 - d(a, T)/d(input, T), d(a, b) = sum over the teacher's first three ReLU outputs of
             ||G_a - G_b||_F / ||G_b||_F, G = F F^T / (H W)
Rows per style: student (ONNX) vs teacher; input vs teacher (baseline: gap 0 by definition);
teacher in onnxruntime vs teacher in PyTorch (sanity: gap ~1).
Writes WORK/eval.json and prints a markdown table.
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
from model import load_teacher  # noqa: E402

STYLE_DIR = os.path.normpath(os.path.join(HERE, '..', 'style'))


def ort_run_many(model, xs, tmp):
    os.makedirs(tmp, exist_ok=True)
    args = []
    for i, x in enumerate(xs):
        np.save(f'{tmp}/in{i}.npy', x.numpy())
        args += [f'{tmp}/in{i}.npy', f'{tmp}/out{i}.npy']
    subprocess.run(['node', os.path.join(HERE, 'ort.mjs'), 'runmany', model, '1'] + args, check=True)
    return [torch.from_numpy(np.load(f'{tmp}/out{i}.npy')) for i in range(len(xs))]


def psnr(a, b):
    mse = float(((a - b) ** 2).mean())
    return float('inf') if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def gram_dist(fa, fb):
    return sum(float((data.gram(a) - data.gram(b)).norm() / data.gram(b).norm()) for a, b in zip(fa, fb))


def metrics(teacher, xs, ts, outs):
    r = {'psnr': [], 'psnr_q': [], 'gap': [], 'd': []}
    with torch.no_grad():
        for x, t, o in zip(xs, ts, outs):
            o = o.clamp(0, 255)
            r['psnr'].append(psnr(o, t))
            r['psnr_q'].append(psnr(F.avg_pool2d(o, 4), F.avg_pool2d(t, 4)))
            ft = teacher.features(t)
            d_o, d_x = gram_dist(teacher.features(o), ft), gram_dist(teacher.features(x), ft)
            r['d'].append(d_o)
            r['gap'].append(1 - d_o / d_x)
    return r


def summarise(r, sel=None):
    sel = sel if sel is not None else range(len(r['psnr']))
    return {k: round(float(np.mean([r[k][i] for i in sel])), 3) for k in r}


def bench(model, h, w, threads, runs=20):
    out = subprocess.run(['node', os.path.join(HERE, 'ort.mjs'), 'bench', model, str(h), str(w), str(runs),
                          str(threads)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)['median_ms']


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--styles', default='candy,mosaic,udnie')
    p.add_argument('--bench', action='store_true')
    p.add_argument('--tag', default='', help='evaluate WORK/ckpt-exported files light_<style><tag>.onnx instead')
    a = p.parse_args()
    torch.set_num_threads(1)
    held = data.heldout_images()
    names = [n for n, _ in held]
    xs = [x for _, x in held]
    photos = [i for i, n in enumerate(names) if not n.startswith('video_')]
    video = [i for i, n in enumerate(names) if n.startswith('video_')]
    res = {'heldout': names}
    for style in a.styles.split(','):
        teacher_path = data.TEACHER.format(style=style)
        teacher = load_teacher(teacher_path)
        with torch.no_grad():
            ts = [teacher(x).clamp(0, 255) for x in xs]
        student_path = f'{STYLE_DIR}/light_{style}.onnx' if not a.tag else f'{data.WORK}/light_{style}{a.tag}.onnx'
        rows = {
            'student': metrics(teacher, xs, ts, ort_run_many(student_path, xs, f'{data.WORK}/eval_tmp')),
            'input': metrics(teacher, xs, ts, xs),
            'teacher_ort': metrics(teacher, xs, ts, ort_run_many(teacher_path, xs, f'{data.WORK}/eval_tmp')),
        }
        res[style] = {k: {'all': summarise(v), 'photos': summarise(v, photos), 'video': summarise(v, video),
                          'per_image': v} for k, v in rows.items()}
        if a.bench:
            res[style]['ms'] = {f'{h}x{w}_t{th}': bench(student_path, h, w, th)
                                for (w, h) in ((320, 240), (640, 480)) for th in (1, 2)}
            res[style]['onnx_kib'] = round(os.path.getsize(student_path) / 1024)
    if a.bench:
        t = data.TEACHER.format(style='mosaic')
        res['teacher_ms'] = {f'{h}x{w}_t{th}': bench(t, h, w, th, runs=10)
                             for (w, h) in ((320, 240), (640, 480)) for th in (1, 2)}
    with open(f'{data.WORK}/eval{a.tag}.json', 'w') as f:
        json.dump(res, f, indent=1)

    print('| style | row | PSNR dB | PSNR@1/4 dB | gap closed | photos PSNR / gap | video PSNR / gap |')
    print('|---|---|---|---|---|---|---|')
    for style in a.styles.split(','):
        for row in ('student', 'input', 'teacher_ort'):
            s = res[style][row]
            print(f"| {style} | {row} | {s['all']['psnr']:.2f} | {s['all']['psnr_q']:.2f} | {s['all']['gap']:.3f} | "
                  f"{s['photos']['psnr']:.2f} / {s['photos']['gap']:.3f} | {s['video']['psnr']:.2f} / "
                  f"{s['video']['gap']:.3f} |")
    if a.bench:
        print('\nms (onnxruntime-node CPU, median of 20):')
        for style in a.styles.split(','):
            print(style, res[style]['ms'], f"{res[style]['onnx_kib']} KiB")
        print('teacher (mosaic, median of 10)', res['teacher_ms'])


if __name__ == '__main__':
    main()
