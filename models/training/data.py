"""Data for style distillation: fixed held-out split, video frame extraction, fixed training crops + teacher targets.

Nothing here is written inside the repository: everything goes under WORK (default /tmp/deepphoto-train).

Held-out set (never used for training):
  * 16 photos of /work/shared/data/seg-dev: random.Random(HOLDOUT_SEED).sample(sorted names, 16)
  * the last 2 s of the video (frames with t >= 7.4 s); training frames stop 0.5 s earlier (t < 6.9 s).
"""
import glob
import json
import os
import random
import subprocess

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

SHARED = os.environ.get('DEEPPHOTO_SHARED', '/work/shared')
PHOTO_DIR = f'{SHARED}/data/seg-dev'
VIDEO = f'{SHARED}/data/video/liveportrait_s18_upperbody.mp4'
TEACHER = SHARED + '/models/style/fns_{style}.fp16.onnx'
WORK = os.environ.get('DEEPPHOTO_WORK', '/tmp/deepphoto-train')

HOLDOUT_SEED = 20240611
N_HOLDOUT_PHOTOS = 16
FPS = 30
VIDEO_FRAMES = 282                # 9.4 s at 30 fps
HOLDOUT_FROM_FRAME = 222          # t >= 7.4 s  (last 2 s)
TRAIN_UNTIL_FRAME = 207           # t < 6.9 s   (0.5 s gap before the held-out part)
EVAL_VIDEO_FRAMES = list(range(HOLDOUT_FROM_FRAME, VIDEO_FRAMES, 10))  # 6 frames, evaluated at 320x180

CROP = 160
N_CROPS = 1000
CROP_SEED = 1


def photo_names():
    return sorted(os.path.basename(p)[:-4] for p in glob.glob(f'{PHOTO_DIR}/*.jpg'))


def split_photos():
    names = photo_names()
    held = sorted(random.Random(HOLDOUT_SEED).sample(names, N_HOLDOUT_PHOTOS))
    # The Node eval:style reads the same list from heldout.json; both must name the same photos.
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'heldout.json')) as f:
        assert json.load(f)['photos'] == held, 'heldout.json differs from the seeded held-out split'
    train = [n for n in names if n not in set(held)]
    return train, held


def frames_dir():
    """Decode the video once to WORK/frames/%04d.png at 640x360 (frame k -> file k+1)."""
    d = f'{WORK}/frames'
    if len(glob.glob(f'{d}/*.png')) != VIDEO_FRAMES:
        os.makedirs(d, exist_ok=True)
        subprocess.run(['ffmpeg', '-loglevel', 'error', '-y', '-i', VIDEO, '-vf', 'scale=640:360:flags=area',
                        f'{d}/%04d.png'], check=True)
    n = len(glob.glob(f'{d}/*.png'))
    assert n == VIDEO_FRAMES, f'expected {VIDEO_FRAMES} frames, got {n}'
    return d


def load_rgb(path):
    return Image.open(path).convert('RGB')


def to_tensor(img):
    """PIL RGB -> float32 [1,3,H,W] 0..255, H and W cropped down to multiples of 4 (the teachers need that)."""
    a = np.asarray(img, dtype=np.float32)
    h, w = a.shape[0] // 4 * 4, a.shape[1] // 4 * 4
    return torch.from_numpy(a[:h, :w].transpose(2, 0, 1).copy())[None]


def heldout_images():
    """[(name, float32 [1,3,H,W])] — 16 photos at native size + 6 frames of the last 2 s at 320x180."""
    _, held = split_photos()
    out = [(n, to_tensor(load_rgb(f'{PHOTO_DIR}/{n}.jpg'))) for n in held]
    fd = frames_dir()
    for k in EVAL_VIDEO_FRAMES:
        img = load_rgb(f'{fd}/{k + 1:04d}.png').resize((320, 180), Image.BOX)
        out.append((f'video_f{k:03d}', to_tensor(img)))
    return out


def make_crops(n=N_CROPS, size=CROP, seed=CROP_SEED):
    """Fixed set of training crops (uint8 [n,3,size,size]): 70% training photos with the short side rescaled to
    160..300 px (native is 240), 30% training video frames with height 180..360 px; random position and h-flip."""
    path = f'{WORK}/data/crops_{n}_{size}_s{seed}.npy'
    if os.path.exists(path):
        return np.load(path)
    train, held = split_photos()
    fd = frames_dir()
    frames = [f'{fd}/{k + 1:04d}.png' for k in range(0, TRAIN_UNTIL_FRAME)]
    photos = [f'{PHOTO_DIR}/{p}.jpg' for p in train]
    assert not any(f'{PHOTO_DIR}/{h}.jpg' in photos for h in held)
    rng = random.Random(seed)
    out = np.zeros((n, 3, size, size), np.uint8)
    for i in range(n):
        if rng.random() < 0.7:
            img = load_rgb(rng.choice(photos))
            short = rng.uniform(size, 300)
        else:
            img = load_rgb(rng.choice(frames))
            short = rng.uniform(180, 360)
        s = short / min(img.size)
        w, h = max(size, round(img.size[0] * s)), max(size, round(img.size[1] * s))
        img = img.resize((w, h), Image.BICUBIC if s > 1 else Image.BOX)
        x0, y0 = rng.randint(0, w - size), rng.randint(0, h - size)
        img = img.crop((x0, y0, x0 + size, y0 + size))
        if rng.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        out[i] = np.asarray(img).transpose(2, 0, 1)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, out)
    return out


def gram(f):
    """G = F F^T / (H W) per image, [B,C,H,W] -> [B,C,C]. Computed as a convolution of each feature map with
    itself (kernel = whole map): Debian's torch links the reference BLAS, where bmm is ~10x slower than this."""
    b, c, h, w = f.shape
    return torch.stack([F.conv2d(fi[:, None], fi[:, None]).reshape(c, c) for fi in f]) / (h * w)


def teacher_targets(style, crops, teacher, batch=8):
    """Teacher outputs (clipped to 0..255, float16) and Gram matrices of the teacher's first three ReLU outputs
    on those outputs, for every crop. Cached under WORK/data/."""
    tag = f'{style}_{crops.shape[0]}_{crops.shape[2]}'
    p_out, p_g = f'{WORK}/data/target_{tag}.npy', f'{WORK}/data/gram_{tag}.npz'
    if os.path.exists(p_out) and os.path.exists(p_g):
        g = np.load(p_g)
        return np.load(p_out), [g['g0'], g['g1'], g['g2']]
    outs, grams = [], [[], [], []]
    with torch.no_grad():
        for i in range(0, crops.shape[0], batch):
            x = torch.from_numpy(crops[i:i + batch].astype(np.float32))
            y = teacher(x).clamp(0, 255)
            outs.append(y.numpy().astype(np.float16))
            for j, f in enumerate(teacher.features(y)):
                grams[j].append(gram(f).numpy())
    outs = np.concatenate(outs)
    grams = [np.concatenate(g) for g in grams]
    np.save(p_out, outs)
    np.savez(p_g, g0=grams[0], g1=grams[1], g2=grams[2])
    return outs, grams
