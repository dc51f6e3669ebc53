#!/usr/bin/env python3
"""PyTorch CPU side of bench/explain.ts (which spawns it): captum-free torch
equivalents of saliency, Grad-CAM (last residual block) and Integrated
Gradients (zero baseline, trapezoid on k/steps, rows in chunks of
--internal-batch) on the torch mirror of an ecgx resnet1d ONNX model
(bench/engine_torch.py's load_mirror). Prints one JSON line:
    {"torch", "threads", "methods": {"saliency": {"times_s": [...], "median_s"}, ...}, "check": {...}}

    /usr/bin/python3 bench/explain_torch.py --model M.onnx --input X.npy --cls 1 --steps 64 \
        --internal-batch 64 --threads 2 --repeats 3 [--ref-dir DIR]
--ref-dir: ecgx's saliency.npy / gradcam.npy / ig.npy, compared (relative L2) to check
that both sides compute the same thing.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

try:
    import torch
except ImportError as e:
    print(json.dumps(dict(error=f'torch missing in {sys.executable}: {e}')))
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_torch import load_mirror  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--input', required=True)
    ap.add_argument('--cls', type=int, default=1)
    ap.add_argument('--steps', type=int, default=64)
    ap.add_argument('--internal-batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--ref-dir')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, _ = load_mirror(a.model)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.from_numpy(np.load(a.input))
    n = x.shape[0]

    def saliency():
        xi = x.clone().requires_grad_(True)
        model(xi)[:, a.cls].sum().backward()
        return xi.grad

    def gradcam():
        # Parameters are frozen: the input needs grad for the block output to have a graph.
        out, blocks = model.forward_blocks(x.clone().requires_grad_(True))
        act = blocks[-1]
        g, = torch.autograd.grad(out[:, a.cls].sum(), act)
        cam = torch.relu((g.mean(dim=2, keepdim=True) * act).sum(dim=1, keepdim=True))
        return cam.repeat_interleave(x.shape[2] // act.shape[2], dim=2)

    def ig():
        alphas = torch.arange(a.steps + 1, dtype=torch.float32) / a.steps
        w = torch.full((a.steps + 1,), 1.0 / a.steps)
        w[0] = w[-1] = 0.5 / a.steps
        rows = [(b, k) for b in range(n) for k in range(a.steps + 1)]
        avg = torch.zeros_like(x)
        for s in range(0, len(rows), a.internal_batch):
            chunk = rows[s:s + a.internal_batch]
            bi = torch.tensor([r[0] for r in chunk])
            ki = torch.tensor([r[1] for r in chunk])
            pts = (alphas[ki].view(-1, 1, 1) * x[bi]).requires_grad_(True)
            model(pts)[:, a.cls].sum().backward()
            avg.index_add_(0, bi, w[ki].view(-1, 1, 1) * pts.grad)
        return x * avg

    methods = dict(saliency=saliency, gradcam=gradcam, ig=ig)
    result = dict(torch=torch.__version__, threads=a.threads, methods={}, check={})
    for name, f in methods.items():
        f()  # warm-up
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            v = f()
            times.append(time.perf_counter() - t0)
        result['methods'][name] = dict(times_s=times, median_s=statistics.median(times))
        if a.ref_dir:
            ref = np.load(os.path.join(a.ref_dir, f'{name}.npy'))
            v = v.detach().numpy()
            result['check'][name] = float(np.linalg.norm(v - ref) / max(np.linalg.norm(ref), 1e-30))
    print(json.dumps(result))


if __name__ == '__main__':
    main()
