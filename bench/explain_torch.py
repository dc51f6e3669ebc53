#!/usr/bin/env python3
"""PyTorch CPU side of bench/explain.ts (which spawns it): captum-free torch
equivalents of saliency, input x gradient, Grad-CAM (last residual block) and
Integrated Gradients (zero baseline, trapezoid on k/steps, rows in chunks of
--internal-batch) on the torch mirror of an ecgx resnet1d ONNX model
(bench/engine_torch.py's load_mirror; flatten or GAP head).

With --serve (how bench/explain.ts runs it): one method, 'ready' after
--warmup calls, then one timed call per 'step' line on stdin (so that the
bench interleaves ecgx and torch calls), and on 'done' one JSON line
    {"method", "times_s": [...], "median_s", "maxrss_kb", "torch", "threads", "check_rel_err"}
where check_rel_err compares the method's values with --ref (ecgx's, .npy).

    /usr/bin/python3 bench/explain_torch.py --serve --method saliency|ixg|gradcam|ig \
        --model M.onnx --input X.npy --cls 1 --steps 64 --internal-batch 64 --threads 2 \
        [--warmup 1] [--ref ecgx_values.npy]

Without --serve: saliency, Grad-CAM and IG back to back, --repeats calls each,
one JSON line {"torch", "threads", "methods": {name: {"times_s", "median_s"}}, "check": {...}}
(--ref-dir: ecgx's saliency.npy / gradcam.npy / ig.npy).
"""
import argparse
import json
import os
import resource
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


def methods(model, x, a):
    n = x.shape[0]

    def saliency():
        xi = x.clone().requires_grad_(True)
        g, = torch.autograd.grad(model(xi)[:, a.cls].sum(), xi)
        return g

    def ixg():
        return x * saliency()

    def gradcam():
        # Parameters are frozen: the input needs grad for the block output to have a graph.
        out, blocks = model.forward_blocks(x.clone().requires_grad_(True))
        act = blocks[-1]
        g, = torch.autograd.grad(out[:, a.cls].sum(), act)
        cam = torch.relu((g.mean(dim=2, keepdim=True) * act).sum(dim=1, keepdim=True))
        # Nearest upsampling as ecgx's (index floor(t * T' / T)), also where T is not a multiple of T'.
        idx = (torch.arange(x.shape[2]) * act.shape[2]) // x.shape[2]
        return cam[:, :, idx]

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
            g, = torch.autograd.grad(model(pts)[:, a.cls].sum(), pts)
            avg.index_add_(0, bi, w[ki].view(-1, 1, 1) * g)
        return x * avg

    return dict(saliency=saliency, ixg=ixg, gradcam=gradcam, ig=ig)


def rel_err(v, ref_path):
    ref = np.load(ref_path)
    v = v.detach().numpy().reshape(ref.shape)
    return float(np.linalg.norm(v - ref) / max(np.linalg.norm(ref), 1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--input', required=True)
    ap.add_argument('--cls', type=int, default=1)
    ap.add_argument('--steps', type=int, default=64)
    ap.add_argument('--internal-batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--ref-dir')
    ap.add_argument('--serve', action='store_true')
    ap.add_argument('--method', choices=['saliency', 'ixg', 'gradcam', 'ig'])
    ap.add_argument('--ref')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, _ = load_mirror(a.model)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.from_numpy(np.load(a.input))
    fns = methods(model, x, a)

    if a.serve:
        f = fns[a.method]
        v = None
        for _ in range(max(a.warmup, 1)):
            v = f()
        check = rel_err(v, a.ref) if a.ref else None
        print(json.dumps(dict(ready=True)), flush=True)
        times = []
        for line in sys.stdin:
            if line.strip() == 'step':
                t0 = time.perf_counter()
                f()
                times.append(time.perf_counter() - t0)
                print(json.dumps(dict(t=times[-1])), flush=True)
            elif line.strip() == 'done':
                break
        print(json.dumps(dict(method=a.method, times_s=times, median_s=statistics.median(times) if times else None,
                              maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              torch=torch.__version__, threads=torch.get_num_threads(), check_rel_err=check)), flush=True)
        return

    result = dict(torch=torch.__version__, threads=a.threads, methods={}, check={})
    for name in ['saliency', 'gradcam', 'ig']:
        f = fns[name]
        f()  # warm-up
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            v = f()
            times.append(time.perf_counter() - t0)
        result['methods'][name] = dict(times_s=times, median_s=statistics.median(times))
        if a.ref_dir:
            result['check'][name] = rel_err(v, os.path.join(a.ref_dir, f'{name}.npy'))
    print(json.dumps(result))


if __name__ == '__main__':
    main()
