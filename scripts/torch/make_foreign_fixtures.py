#!/usr/bin/env python3
"""Writes the bring-your-own-model fixtures that src/models/foreign.test.ts reads:
two PyTorch ECG models that ecgx did not build, exported to ONNX without a
model card, and their PyTorch outputs, Grad-CAM and Integrated Gradients on
real PTB-XL records run through the preprocessing their cards will declare.

Run with Debian's python (apt-get install python3-torch python3-onnx python3-scipy):
    /usr/bin/python3 scripts/torch/make_foreign_fixtures.py [--ptbxl ../shared/data/ptbxl] [--out test/fixtures/foreign]

The preprocessing, windowing and aggregation are done here independently of
ecgx (scipy.signal butter/sosfiltfilt, numpy), so the test checks ecgx's whole
record-to-score path, not just the model run. References are computed in
float64 on a copy of each model; stored as float32 .npy.

  windowed: stem conv + BN + ReLU + max-pool, two residual blocks (the second
            with a strided 1x1-conv shortcut), global average pooling, 4 logits
            (multilabel). Input 12 x 300 (3 s at 100 Hz). Card: band-pass
            0.5-40 Hz (order 2), per-record z-score, windows of 300 with stride
            150 (plus one flush with the end), mean of the window sigmoids.
  softmax:  three plain convolutions, global average pooling, a softmax head
            (3 classes, multiclass probabilities), any input length. Card:
            high-pass 0.5 Hz (order 2), input in microvolts.
"""
import argparse
import json
import os

import numpy as np
import onnx
import scipy.signal as ss
import torch
from torch import nn

FS = 100
RECORDS = ['00001', '00002', '00003']
TARGET = 1  # the class both attributions explain
IG_STEPS = 16


def read_ptbxl(root, ecg_id):
    """A PTB-XL 100 Hz record (format 16, 12 signals in one file) in mV, [12, n]."""
    base = os.path.join(root, 'records100', '00000', f'{ecg_id}_lr')
    lines = [l for l in open(base + '.hea').read().splitlines() if l and not l.startswith('#')]
    n_sig, n = int(lines[0].split()[1]), int(lines[0].split()[3])
    gains, zeros = [], []
    for l in lines[1:1 + n_sig]:
        f = l.split()
        gains.append(float(f[2].split('(')[0].split('/')[0]))
        zeros.append(int(f[2].split('(')[1].split(')')[0]) if '(' in f[2] else 0)
    raw = np.fromfile(base + '.dat', dtype='<i2').reshape(n, n_sig).T.astype(np.float64)
    return (raw - np.array(zeros)[:, None]) / np.array(gains)[:, None]


def windows(n, length, stride):
    """Window starts covering [0, n): every stride, plus one flush with the end."""
    starts = list(range(0, n - length + 1, stride))
    if starts[-1] + length < n:
        starts.append(n - length)
    return starts


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, 5, stride=stride, padding=2, bias=False)
        self.bn1 = nn.BatchNorm1d(cout)
        self.conv2 = nn.Conv1d(cout, cout, 5, padding=2, bias=False)
        self.bn2 = nn.BatchNorm1d(cout)
        self.relu = nn.ReLU()
        self.skip = None if cin == cout and stride == 1 else nn.Sequential(nn.Conv1d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm1d(cout))

    def forward(self, x):
        h = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(h + (x if self.skip is None else self.skip(x)))


class Windowed(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(12, 16, 7, padding=3, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(3, stride=2, padding=1))
        self.block_a = Block(16, 16, 1)
        self.block_b = Block(16, 32, 2)
        self.head = nn.Linear(32, 4)

    def forward(self, x, keep=None):
        b = self.block_b(self.block_a(self.stem(x)))
        if keep is not None:
            keep.append(b)
        return self.head(b.mean(-1))


class SoftmaxNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(12, 8, 7, stride=2, padding=3)
        self.c2 = nn.Conv1d(8, 16, 5, stride=2, padding=2)
        self.c3 = nn.Conv1d(16, 16, 5, padding=2)
        self.relu = nn.ReLU()
        self.head = nn.Linear(16, 3)

    def forward(self, x, keep=None):
        h = self.relu(self.c3(self.relu(self.c2(self.relu(self.c1(x))))))
        if keep is not None:
            keep.append(h)
        return torch.softmax(self.head(h.mean(-1)), dim=-1)


def calibrate(model, gen, length):
    """Real running statistics and non-trivial affine parameters for every BN."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    for bn in bns:
        bn.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(6):
            model(torch.randn(16, 12, length, generator=gen))
        for bn in bns:
            bn.weight.copy_(0.5 + torch.rand(bn.weight.shape, generator=gen))
            bn.bias.copy_(0.2 * torch.randn(bn.bias.shape, generator=gen))
    model.eval()


def gradcam(model64, x, target):
    """Grad-CAM at the model's kept layer, nearest-upsampled to the input length."""
    x = torch.tensor(x, dtype=torch.float64)
    keep = []
    y = model64(x, keep)
    a = keep[0]
    g, = torch.autograd.grad(y[:, target].sum(), a)
    cam = torch.relu((g.mean(-1, keepdim=True) * a).sum(1))
    return cam.repeat_interleave(x.shape[-1] // a.shape[-1], dim=-1).detach().numpy()[:, None, :]


def integrated_gradients(model64, x, target, steps=IG_STEPS):
    """IG from the zero baseline, trapezoid rule on alpha = k/steps (ecgx's default grid)."""
    x = torch.tensor(x, dtype=torch.float64)
    total = torch.zeros_like(x)
    for k in range(steps + 1):
        w = (0.5 if k in (0, steps) else 1.0) / steps
        p = (k / steps * x).requires_grad_(True)
        g, = torch.autograd.grad(model64(p)[:, target].sum(), p)
        total += w * g
    return (x * total).detach().numpy()


def place(values, starts, n, weights):
    """Window maps [W, C, L] placed in record time [C, n], weighted and summed."""
    out = np.zeros((values.shape[1], n))
    for v, s, w in zip(values, starts, weights):
        out[:, s:s + v.shape[-1]] += w * v
    return out


def export(model, path, length_axis):
    x = torch.randn(2, 12, 300)
    axes = {'ecg': {0: 'batch'}, 'out': {0: 'batch'}}
    if length_axis:
        axes['ecg'][2] = 'time'
    torch.onnx.export(model, (x,), path, input_names=['ecg'], output_names=['out'], dynamic_axes=axes, opset_version=17, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def block_outputs(path):
    """Names of the Relu outputs that directly follow an Add (the residual block outputs), in graph order."""
    g = onnx.load(path).graph
    produced = {o: n for n in g.node for o in n.output}
    return [n.output[0] for n in g.node if n.op_type == 'Relu' and n.input[0] in produced and produced[n.input[0]].op_type == 'Add']


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument('--ptbxl', default=os.path.join(here, '..', '..', '..', 'shared', 'data', 'ptbxl'))
    ap.add_argument('--out', default=os.path.join(here, '..', '..', 'test', 'fixtures', 'foreign'))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(7)
    files = []

    def save(name, arr, description):
        np.save(os.path.join(args.out, name), np.ascontiguousarray(np.asarray(arr, dtype=np.float32)))
        files.append(dict(file=name, shape=list(np.shape(arr)), description=description))

    records = [read_ptbxl(args.ptbxl, r) for r in RECORDS]
    n = records[0].shape[1]

    # ---- windowed residual network
    wnet = Windowed()
    calibrate(wnet, gen, 300)
    export(wnet, os.path.join(args.out, 'windowed.onnx'), length_axis=False)
    w64 = Windowed().double()
    w64.load_state_dict(wnet.state_dict())
    w64.eval()
    sos = ss.butter(2, [0.5, 40], btype='bandpass', fs=FS, output='sos')
    starts = windows(n, 300, 150)
    probs, cams, igs = [], [], []
    for rec in records:
        p = ss.sosfiltfilt(sos, rec, axis=-1)
        p = (p - p.mean(-1, keepdims=True)) / p.std(-1, keepdims=True)
        x = np.stack([p[:, s:s + 300] for s in starts])
        with torch.no_grad():
            logits = w64(torch.tensor(x)).numpy()
        probs.append((1 / (1 + np.exp(-logits))).mean(0))
        weights = [1 / len(starts)] * len(starts)
        cams.append(place(gradcam(w64, x, TARGET), starts, n, weights))
        igs.append(place(integrated_gradients(w64, x, TARGET), starts, n, weights))
    save('windowed_scores.npy', np.stack(probs), 'record scores: mean over windows of sigmoid(logits), [records, 4]')
    save('windowed_gradcam.npy', np.stack(cams), f'Grad-CAM of class {TARGET} at the last block, per window, averaged in record time, [records, 1, {n}]')
    save('windowed_ig.npy', np.stack(igs), f'IG of class {TARGET} (zero baseline, {IG_STEPS} trapezoid steps), per window, averaged in record time, [records, 12, {n}]')

    # ---- softmax network, any length, input in microvolts
    snet = SoftmaxNet()
    with torch.no_grad():
        snet.c1.weight.mul_(1e-3)  # the model takes microvolts
    snet.eval()
    export(snet, os.path.join(args.out, 'softmax.onnx'), length_axis=True)
    s64 = SoftmaxNet().double()
    s64.load_state_dict(snet.state_dict())
    s64.eval()
    sos = ss.butter(2, 0.5, btype='highpass', fs=FS, output='sos')
    x = np.stack([ss.sosfiltfilt(sos, rec, axis=-1) * 1000 for rec in records])
    with torch.no_grad():
        save('softmax_scores.npy', s64(torch.tensor(x)).numpy(), 'softmax probabilities, [records, 3]')
    # Grad-CAM's ReLU zeroes a class whose weighted map is negative everywhere: explain a class it shows.
    soft_target = next(c for c in range(3) if all(m.max() > 0 for m in gradcam(s64, x, c)))
    save('softmax_gradcam.npy', gradcam(s64, x, soft_target), f'Grad-CAM of class {soft_target} probability at the last conv ReLU, [records, 1, {n}]')
    save('softmax_ig.npy', integrated_gradients(s64, x, soft_target), f'IG of class {soft_target} probability (zero baseline, {IG_STEPS} trapezoid steps), [records, 12, {n}]')

    manifest = dict(
        records=RECORDS, fs=FS, target=TARGET, igSteps=IG_STEPS,
        windowed=dict(file='windowed.onnx', blocks=block_outputs(os.path.join(args.out, 'windowed.onnx')), starts=starts, classes=['A', 'B', 'C', 'D']),
        softmax=dict(file='softmax.onnx', classes=['X', 'Y', 'Z'], target=soft_target),
        torch=torch.__version__, files=files,
    )
    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main()
