#!/usr/bin/env python3
"""Trains the PyTorch model of `ecgx benchmark explainers` (the "imported export"):
a torchvision-style 1D residual network that ecgx did not build, trained by
PyTorch on ecgx's synthetic ECGs, exported to ONNX, with the model card its
inputs need written beside it. ecgx then explains it like its own models.

    npm run build
    node scripts/torch/benchmark-data.mjs /tmp/bench-data 3000 21
    /usr/bin/python3 scripts/torch/train_benchmark_model.py --data /tmp/bench-data --out /tmp/torch-resnet.onnx
    node dist/src/cli/main.js model card /tmp/torch-resnet.onnx --leads 12 --fs 100 --bandpass 0.5,40 --zscore \
        --task multilabel --output-kind logits --classes NORM,MI,STTC,CD,HYP \
        --source "scripts/torch/train_benchmark_model.py (PyTorch, synthetic PTB-XL cohort, seed 21)" \
        --out test/fixtures/benchmark/torch-resnet.onnx --force

Deterministic on CPU (seeded, one thread). The data are ECGs of the synthetic
PTB-XL cohort (seed 21: other ECGs than the benchmark's, which uses seed 1 by
default), 12 x 1000 at 100 Hz in mV, with the five superclass labels.

Preprocessing (done here with scipy, declared in the card, redone by ecgx):
band-pass 0.5-40 Hz (Butterworth order 2, zero-phase) and a per-record,
per-lead z-score. Architecture: stem conv(7, stride 2) + BN + ReLU + max-pool
(3, stride 2); three residual blocks (conv5-BN-ReLU-conv5-BN plus a 1x1-conv
+ BN shortcut where the shape changes, then ReLU after the add; strides 1, 2,
2; 16, 32, 48 channels); global average pooling; linear to 5 logits.
Loss: BCE with logits; Adam, lr 2e-3, cosine decay, 12 epochs, batch 64.
"""
import argparse
import os

import numpy as np
import onnx
import scipy.signal as ss
import torch
from torch import nn

CLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP']
FS = 100


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


class TorchResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(12, 16, 7, stride=2, padding=3, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(3, stride=2, padding=1))
        self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 48, 2))
        self.head = nn.Linear(48, len(CLASSES))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)).mean(-1))


def preprocess(x):
    sos = ss.butter(2, [0.5, 40], btype='bandpass', fs=FS, output='sos')
    y = ss.sosfiltfilt(sos, x.astype(np.float64), axis=-1)
    mean = y.mean(-1, keepdims=True)
    std = y.std(-1, keepdims=True)
    return ((y - mean) / np.where(std > 1e-6, std, 1.0)).astype(np.float32)


def auroc(score, label):
    order = np.argsort(score)
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    # Ties share their mean rank.
    for v in np.unique(score):
        m = score == v
        ranks[m] = ranks[m].mean()
    pos = label > 0.5
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def block_outputs(path):
    g = onnx.load(path).graph
    produced = {o: n for n in g.node for o in n.output}
    return [n.output[0] for n in g.node if n.op_type == 'Relu' and n.input[0] in produced and produced[n.input[0]].op_type == 'Add']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--epochs', type=int, default=12)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x = preprocess(np.load(os.path.join(args.data, 'x.npy')))
    y = np.load(os.path.join(args.data, 'y.npy')).astype(np.float32)
    n = len(x)
    n_val = n // 10
    xt, yt = torch.tensor(x[n_val:]), torch.tensor(y[n_val:])
    xv, yv = torch.tensor(x[:n_val]), y[:n_val]
    model = TorchResNet()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = args.epochs * ((len(xt) + 63) // 64)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    loss_fn = nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(1)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for s in range(0, len(xt), 64):
            idx = perm[s:s + 64]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            pv = torch.sigmoid(model(xv)).numpy()
        aucs = [auroc(pv[:, k], yv[:, k]) for k in range(len(CLASSES))]
        print(f'epoch {epoch + 1}: loss {total / len(xt):.4f}, validation AUROC {np.mean(aucs):.4f} ({", ".join(f"{c} {a:.3f}" for c, a in zip(CLASSES, aucs))})', flush=True)
    model.eval()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.onnx.export(model, (xv[:2],), args.out, input_names=['ecg'], output_names=['logits'],
                      dynamic_axes={'ecg': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=17, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(args.out))
    blocks = block_outputs(args.out)
    print(f'wrote {args.out} (residual block outputs {blocks}); validation macro AUROC {np.mean(aucs):.4f}')


if __name__ == '__main__':
    main()
