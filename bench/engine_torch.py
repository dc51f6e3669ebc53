#!/usr/bin/env python3
"""PyTorch CPU side of bench/engine.ts (which spawns it; run it by hand only to debug).

Builds a torch mirror of an ecgx resnet1d ONNX model (architecture from the
model's `ecgx.options` metadata, weights from its initializers), checks that
its output matches the one ecgx wrote, then times one phase and prints one
JSON line:
    {"phase", "times_s": [...], "median_s", "maxrss_kb", "torch", "threads", "check_rel_err"}
(with --serve: one step per 'step' line on stdin, for interleaved timing)

    /usr/bin/python3 bench/engine_torch.py --model M.onnx --input X.npy --targets Y.npy \
        --phase forward|saliency|blockgrad|train --threads 2 --warmup 1 --repeats 5 \
        --block 2 --cls 1 [--check ecgx_logits.npy]

Phases (batch = rows of X):
  forward    eval mode, no autograd: logits
  saliency   eval mode, parameters frozen: d sum_b logits[b, cls] / d ecg
  blockgrad  eval mode, parameters frozen: d sum_b logits[b, cls] / d (output of block --block, 1-based)
  train      train mode (BN batch statistics, dropout as configured): BCE-with-logits (mean)
             on the targets, backward to every parameter, AdamW step (lr 1e-3, decay 0.01 on
             weights of rank >= 2), as ecgx's Trainer.step
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
    import onnx
    from onnx import numpy_helper
    import torch
    from torch import nn
except ImportError as e:  # bench/engine.ts reports this and goes on without torch
    print(json.dumps(dict(error=f'torch or onnx missing in {sys.executable}: {e}')))
    sys.exit(3)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts', 'torch'))
from resnet1d import ResNet1d  # noqa: E402


def torch_name(ecgx_name):
    """ecgx resnet1d initializer name -> ResNet1d state_dict key (None: not a parameter)."""
    parts = ecgx_name.split('.')
    if parts[-1] == 'ratio':
        return None
    if parts[0] == 'stem':
        return f'stem_{parts[1]}.{parts[2]}'
    if parts[0] == 'head':
        return f'lin.{parts[2]}'
    if parts[0].startswith('block'):
        j = int(parts[0][5:]) - 1
        if parts[1] == 'skip':
            return f'blocks.{j}.skip.{parts[2]}.{parts[3]}'  # skip.conv -> resolved below
        return f'blocks.{j}.{parts[1]}.{parts[2]}'
    raise ValueError(f'unexpected initializer {ecgx_name}')


def load_mirror(path):
    m = onnx.load(path)
    meta = {p.key: p.value for p in m.metadata_props}
    o = json.loads(meta['ecgx.options'])
    model = ResNet1d(n_leads=o['leads'], n_samples=o['samples'], filters=o['filters'], downsample=o['downsample'],
                     kernel=o['kernel'], n_outputs=o['outputs'], dropout=o['dropout'], padding='same', head=o['head'])
    state = model.state_dict()
    loaded = set()
    for init in m.graph.initializer:
        key = torch_name(init.name)
        if key is None:
            continue
        if '.skip.conv.' in key:  # the 1x1 conv is the last module of the skip Sequential
            j = int(key.split('.')[1])
            key = f'blocks.{j}.skip.{len(model.blocks[j].skip) - 1}.weight'
        arr = torch.from_numpy(numpy_helper.to_array(init).copy())
        assert key in state and state[key].shape == arr.shape, f'{init.name} -> {key}: shape {tuple(arr.shape)}'
        state[key] = arr
        loaded.add(key)
    missing = [k for k in state if k not in loaded and not k.endswith('num_batches_tracked')]
    assert not missing, f'no initializer for {missing}'
    model.load_state_dict(state)
    return model, o


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--input', required=True)
    ap.add_argument('--targets')
    ap.add_argument('--phase', required=True, choices=['forward', 'saliency', 'blockgrad', 'train'])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--block', type=int, default=2)
    ap.add_argument('--cls', type=int, default=1)
    ap.add_argument('--check')
    ap.add_argument('--serve', action='store_true', help='timed steps on request (stdin), see bench/engine.ts')
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model, _ = load_mirror(a.model)
    x = torch.from_numpy(np.load(a.input))
    check = None
    if a.check:
        model.eval()
        with torch.no_grad():
            want = torch.from_numpy(np.load(a.check))
            got = model(x[: want.shape[0]])
            check = float((got - want).norm() / want.norm())

    if a.phase == 'train':
        y = torch.from_numpy(np.load(a.targets))
        model.train()

        # AdamW as ecgx's trainer: decay 0.01 on weights of rank >= 2 only.
        decay = [p for p in model.parameters() if p.dim() >= 2]
        rest = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.01), dict(params=rest, weight_decay=0.0)], lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
            loss.backward()
            opt.step()
    else:
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        if a.phase == 'forward':
            def step():
                with torch.no_grad():
                    model(x)
        elif a.phase == 'saliency':
            def step():
                xg = x.clone().requires_grad_(True)
                g, = torch.autograd.grad(model(xg)[:, a.cls].sum(), xg)
        else:
            k = a.block

            def step():
                # Up to block k without autograd; the block's output becomes the leaf.
                with torch.no_grad():
                    h = model.stem_relu(model.stem_bn(model.stem_conv(x)))
                    y = h
                    for blk in model.blocks[:k]:
                        h, y = blk(h, y)
                act = h.detach().requires_grad_(True)
                h = act
                for blk in model.blocks[k:]:
                    h, y = blk(h, y)
                g, = torch.autograd.grad(model.lin(model.pool(h))[:, a.cls].sum(), act)

    for _ in range(a.warmup):
        step()
    # Protocol with bench/engine.ts, which interleaves ecgx and torch steps so
    # that both sides see the same machine load: 'ready'; then one timed step
    # per 'step' line on stdin; 'done' ends with the summary. Without --serve,
    # --repeats steps back to back.
    def timed():
        t0 = time.perf_counter()
        step()
        return time.perf_counter() - t0

    def summary(times):
        return dict(phase=a.phase, times_s=times, median_s=statistics.median(times) if times else None,
                    maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                    torch=torch.__version__, threads=torch.get_num_threads(), check_rel_err=check)

    times = []
    if a.serve:
        print(json.dumps(dict(ready=True)), flush=True)
        for line in sys.stdin:
            if line.strip() == 'step':
                times.append(timed())
                print(json.dumps(dict(t=times[-1])), flush=True)
            elif line.strip() == 'done':
                break
    else:
        times = [timed() for _ in range(a.repeats)]
    print(json.dumps(summary(times)), flush=True)


if __name__ == '__main__':
    main()
