"""Distil one fast-neural-style teacher into a light student (CPU, 1 thread).

    /usr/bin/python3 models/training/train.py --style mosaic            # ~25 min on one 2-core dev machine core
Writes WORK/ckpt/light_<style>.pt and WORK/logs/train_<style>.jsonl (WORK defaults to /tmp/deepphoto-train).
Loss (images in 0..1): L1(pixels) + w_grad * L1(image gradients) + w_gram * sum_l ||G_l(s) - G_l(t)||_F / ||G_l(t)||_F
over the teacher's first three ReLU outputs (the texture term the 'style gap closed' metric measures).
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from model import StudentNet, load_student_onnx, load_teacher, n_params  # noqa: E402


def parse():
    p = argparse.ArgumentParser()
    p.add_argument('--style', required=True, choices=['candy', 'mosaic', 'udnie'])
    p.add_argument('--iters', type=int, default=2400)
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--w-grad', type=float, default=1.0)
    p.add_argument('--w-gram', type=float, default=0.3)
    p.add_argument('--w-low', type=float, default=0.0,
                   help='weight of L1 between 4x4 area averages (the low-pass content PSNR@1/4 measures)')
    p.add_argument('--low-kind', choices=['l1', 'rmse'], default='l1',
                   help='low-pass term as L1 or as RMSE (RMSE is what PSNR@1/4 scores)')
    p.add_argument('--init', default='', help='start from this exported light_*.onnx instead of random weights')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--eval-every', type=int, default=600)
    p.add_argument('--arch', default='8,16,32,4', help='c1,c2,c3,n_res')
    p.add_argument('--tag', default='')
    return p.parse_args()


def grad_l1(a, b):
    dx = (a[..., :, 1:] - a[..., :, :-1]) - (b[..., :, 1:] - b[..., :, :-1])
    dy = (a[..., 1:, :] - a[..., :-1, :]) - (b[..., 1:, :] - b[..., :-1, :])
    return dx.abs().mean() + dy.abs().mean()


def low_pass_error(a, b, kind='l1'):
    """Error after 4x4 area averaging: the colour/shape content that PSNR@1/4 scores, without the texture."""
    d = F.avg_pool2d(a, 4) - F.avg_pool2d(b, 4)
    return d.abs().mean() if kind == 'l1' else (d.pow(2).mean() + 1e-8).sqrt()


def gram_rel(teacher, y, target_grams):
    """mean over batch of sum over layers of ||G(y) - G_t||_F / ||G_t||_F (y clipped to 0..255 like at runtime)."""
    total = 0.0
    for f, gt in zip(teacher.features(y.clamp(0, 255)), target_grams):
        g = data.gram(f)
        total = total + ((g - gt).flatten(1).norm(dim=1) / gt.flatten(1).norm(dim=1)).mean()
    return total


@torch.no_grad()
def quick_eval(student, teacher, held, held_t):
    """Held-out PSNR, PSNR@1/4 and gap closed (PyTorch student) — monitoring only, never used for model selection."""
    student.eval()
    ps, pqs, gaps = [], [], []
    for (name, x), t in zip(held, held_t):
        s = student(x).clamp(0, 255)
        ps.append(10 * math.log10(255 ** 2 / float(((s - t) ** 2).mean())))
        pqs.append(10 * math.log10(255 ** 2 / float(((F.avg_pool2d(s, 4) - F.avg_pool2d(t, 4)) ** 2).mean())))
        ft, fs, fx = teacher.features(t), teacher.features(s), teacher.features(x)
        d = lambda fa: sum(float((data.gram(a) - data.gram(b)).norm() / data.gram(b).norm()) for a, b in zip(fa, ft))
        gaps.append(1 - d(fs) / d(fx))
    student.train()
    return float(np.mean(ps)), float(np.mean(pqs)), float(np.mean(gaps))


def main():
    a = parse()
    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    os.makedirs(f'{data.WORK}/ckpt', exist_ok=True)
    os.makedirs(f'{data.WORK}/logs', exist_ok=True)
    name = f'light_{a.style}{a.tag}'
    log = open(f'{data.WORK}/logs/train_{a.style}{a.tag}.jsonl', 'w')

    def emit(**kw):
        print(json.dumps(kw), flush=True)
        log.write(json.dumps(kw) + '\n')
        log.flush()

    t_start = time.time()
    teacher = load_teacher(data.TEACHER.format(style=a.style))
    crops = data.make_crops()
    t0 = time.time()
    targets, grams = data.teacher_targets(a.style, crops, teacher)
    emit(stage='targets', n=int(crops.shape[0]), crop=int(crops.shape[2]), seconds=round(time.time() - t0, 1))
    held = data.heldout_images()
    with torch.no_grad():
        held_t = [teacher(x).clamp(0, 255) for _, x in held]

    c1, c2, c3, nr = (int(v) for v in a.arch.split(','))
    student = StudentNet(c1, c2, c3, nr)
    if a.init:
        load_student_onnx(student, a.init)
        psnr, psnr_q, gap = quick_eval(student, teacher, held, held_t)
        emit(stage='init', path=a.init, heldout_psnr=round(psnr, 2), heldout_psnr_q=round(psnr_q, 2),
             heldout_gap_closed=round(gap, 3))
    emit(stage='model', params=n_params(student), cfg=student.cfg, args=vars(a))
    opt = torch.optim.Adam(student.parameters(), lr=a.lr)
    warm = min(100, a.iters // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: (i + 1) / warm if i < warm else 0.5 * (1 + math.cos(math.pi * (i - warm) / (a.iters - warm))))
    gen = torch.Generator().manual_seed(a.seed)
    n = crops.shape[0]
    t_train = time.time()
    run = {'pix': 0.0, 'grad': 0.0, 'gram': 0.0, 'low': 0.0}
    for it in range(1, a.iters + 1):
        idx = torch.randint(0, n, (a.batch,), generator=gen).numpy()
        x = torch.from_numpy(crops[idx].astype(np.float32))
        t = torch.from_numpy(targets[idx].astype(np.float32))
        gts = [torch.from_numpy(g[idx]) for g in grams]
        y = student(x)
        l_pix = (y - t).abs().mean() / 255
        l_grad = grad_l1(y, t) / 255
        l_gram = gram_rel(teacher, y, gts) if a.w_gram > 0 else torch.zeros(())
        l_low = low_pass_error(y, t, a.low_kind) / 255 if a.w_low > 0 else torch.zeros(())
        loss = l_pix + a.w_grad * l_grad + a.w_gram * l_gram + a.w_low * l_low
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        for k, v in (('pix', l_pix), ('grad', l_grad), ('gram', l_gram), ('low', l_low)):
            run[k] += float(v)
        if it % 50 == 0:
            emit(it=it, lr=round(sched.get_last_lr()[0], 6), **{k: round(v / 50, 5) for k, v in run.items()},
                 s_per_it=round((time.time() - t_train) / it, 3))
            run = {k: 0.0 for k in run}
        if it % a.eval_every == 0 or it == a.iters:
            psnr, psnr_q, gap = quick_eval(student, teacher, held, held_t)
            emit(it=it, heldout_psnr=round(psnr, 2), heldout_psnr_q=round(psnr_q, 2), heldout_gap_closed=round(gap, 3),
                 minutes=round((time.time() - t_start) / 60, 1))
            torch.save({'cfg': student.cfg, 'state_dict': student.state_dict(), 'args': vars(a), 'it': it},
                       f'{data.WORK}/ckpt/{name}.pt')
    emit(stage='done', train_minutes=round((time.time() - t_train) / 60, 1),
         total_minutes=round((time.time() - t_start) / 60, 1))


if __name__ == '__main__':
    main()
