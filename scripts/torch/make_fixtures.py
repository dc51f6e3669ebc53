#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures that test/torch-reference.test.ts reads.

Run with Debian's python (torch is not needed by the tests, only here):
    /usr/bin/python3 scripts/torch/make_fixtures.py [--out test/fixtures/torch]

With --captum CAPTUM_SRC (a captum source checkout, run with PYTHONPATH, never
committed) it writes only the captum references under OUT/captum from the
committed exports (captum_refs.py; needs python3-sklearn for KernelShap).

Deterministic: fixed seeds, one thread, references computed in float64 on a
copy of each float32 model and stored as float32 .npy (C order).
"""
import argparse
import collections
import copy
import json
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet1d import ResNet1d, set_dropout  # noqa: E402

ARCH = dict(n_leads=12, n_samples=256, filters=[12, 12, 16, 20, 24], downsample=[1, 2, 2, 4], kernel=9)
N_CLASSES = 6
CLASS = 1  # the class whose logit the gradient / Grad-CAM / IG references explain
BATCH = 4
IG_STEPS = 64
NOISE_SD = 0.01  # small-noise IG baseline
OPSETS = [13, 17]

files = []  # manifest entries


def save(out_dir, name, arr, description):
    arr = np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
    np.save(os.path.join(out_dir, name), arr)
    files.append(dict(file=name, shape=list(arr.shape), dtype='float32', description=description))
    return name


def calibrate_bn(model, gen):
    """Gives every BN layer real running statistics (cumulative average over a few
    train-mode batches) and random affine parameters, so that BN matters."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    for bn in bns:
        bn.momentum = None  # cumulative moving average
    model.train()
    with torch.no_grad():
        for _ in range(8):
            model(make_input(16, gen))
        for bn in bns:
            bn.weight.copy_(0.5 + torch.rand(bn.weight.shape, generator=gen))
            bn.bias.copy_(0.2 * torch.randn(bn.bias.shape, generator=gen))
            bn.momentum = 0.1
    model.eval()


def make_input(batch, gen):
    """ECG-like smooth signals: a few random sinusoids per lead plus a little noise."""
    n, L = ARCH['n_leads'], ARCH['n_samples']
    t = torch.arange(L, dtype=torch.float32) / L
    freqs = 1 + 12 * torch.rand(batch, n, 4, 1, generator=gen)
    phases = 6.2832 * torch.rand(batch, n, 4, 1, generator=gen)
    amps = 0.5 * torch.rand(batch, n, 4, 1, generator=gen)
    x = (amps * torch.sin(6.2832 * freqs * t + phases)).sum(2)
    return x + 0.05 * torch.randn(batch, n, L, generator=gen)


def export(model, x, path, opset, folded):
    kw = dict(input_names=['ecg'], output_names=['logits'],
              dynamic_axes={'ecg': {0: 'batch'}, 'logits': {0: 'batch'}},
              opset_version=opset, do_constant_folding=True)
    if not folded:
        # EVAL mode runs the eval peephole pass that fuses Conv+BatchNormalization;
        # PRESERVE on a model in eval mode exports eval semantics without it.
        kw['training'] = torch.onnx.TrainingMode.PRESERVE
        kw['do_constant_folding'] = False
    model.eval()
    torch.onnx.export(model, (x,), path, **kw)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def block_tensors(graph, n_blocks):
    """Each block's output is Relu(BatchNormalization(Add(conv2, skip))): walk the
    graph from every Add (the only Adds are the residual sums) to that Relu."""
    consumers = collections.defaultdict(list)
    for node in graph.node:
        for i in node.input:
            consumers[i].append(node)
    outs = []
    for node in graph.node:
        if node.op_type != 'Add':
            continue
        bn = [c for c in consumers[node.output[0]] if c.op_type == 'BatchNormalization']
        assert len(bn) == 1, f'Add {node.name}: expected one BatchNormalization consumer'
        relu = [c for c in consumers[bn[0].output[0]] if c.op_type == 'Relu']
        assert len(relu) == 1, f'BN {bn[0].name}: expected one Relu consumer'
        outs.append(dict(tensor=relu[0].output[0], node=relu[0].name))
    assert len(outs) == n_blocks, f'found {len(outs)} residual Adds, expected {n_blocks}'
    for i, o in enumerate(outs):  # torch >= 1.13 scopes node names by module path
        assert f'blocks.{i}/' in o['node'], f'block {i}: Relu node {o["node"]} is not in module blocks.{i}'
    return outs


def op_counts(graph):
    return dict(sorted(collections.Counter(n.op_type for n in graph.node).items()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'torch'))
    ap.add_argument('--captum', help='captum source checkout: write the captum references (OUT/captum) only')
    args = ap.parse_args()
    out_dir = os.path.normpath(args.out)
    if args.captum:
        import captum_refs
        torch.set_num_threads(1)
        captum_refs.run(args.captum, out_dir, ARCH)
        return
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if f.endswith(('.npy', '.onnx')) or f == 'manifest.json':
            os.remove(os.path.join(out_dir, f))

    torch.set_num_threads(1)
    torch.manual_seed(20201)
    gen = torch.Generator().manual_seed(20202)
    n_blocks = len(ARCH['downsample'])
    last3 = list(range(n_blocks - 3, n_blocks))

    x = make_input(BATCH, gen)
    save(out_dir, 'x.npy', x, f'input batch [batch, leads, time], {BATCH} smooth random 12-lead signals (leads-major, arbitrary units)')
    x64 = x.double()

    models = []
    references = {}
    for task, n_out in [('classifier', N_CLASSES), ('regressor', 1)]:
        model = ResNet1d(n_outputs=n_out, **ARCH)
        calibrate_bn(model, gen)
        model.eval()
        m64 = copy.deepcopy(model).double().eval()
        ref = {}

        # --- forward, block activations
        xg = x64.clone().requires_grad_(True)
        out, acts = m64.forward_blocks(xg)
        ref['output'] = save(out_dir, f'{task}_logits.npy', out.detach(), f'{task} output "logits" for x.npy (eval mode)')
        ref['blocks'] = []
        for b in last3:
            ref['blocks'].append(dict(block=b, module=f'blocks.{b}', file=save(
                out_dir, f'{task}_block{b}.npy', acts[b].detach(),
                f'{task} activation: output of residual block {b} (after its BN and ReLU), eval mode')))

        # --- input gradient
        target = out[:, CLASS].sum() if task == 'classifier' else out[:, 0].sum()
        what = f'sum over batch of logits[:, {CLASS}]' if task == 'classifier' else 'sum over batch of logits[:, 0]'
        gx, glast = torch.autograd.grad(target, [xg, acts[-1]])
        ref['target'] = dict(index=CLASS if task == 'classifier' else 0, of='logits', seed=f'{what} (seed 1 at logits[b, index] for every b)')
        ref['input_grad'] = save(out_dir, f'{task}_grad_input.npy', gx, f'{task}: d({what})/d ecg')
        ref['block_grad'] = dict(block=last3[-1], file=save(
            out_dir, f'{task}_grad_block{last3[-1]}.npy', glast,
            f'{task}: d({what})/d(output of block {last3[-1]})'))

        if task == 'classifier':
            # --- Grad-CAM at the last block
            a = acts[-1].detach()
            w = glast.mean(dim=2, keepdim=True)
            cam = torch.relu((w * a).sum(dim=1, keepdim=True))
            factor = ARCH['n_samples'] // a.shape[2]
            cam_up = cam.repeat_interleave(factor, dim=2)
            ref['gradcam'] = dict(
                file=save(out_dir, 'classifier_gradcam.npy', cam_up, f'Grad-CAM for class {CLASS} at block {last3[-1]}, upsampled to input length'),
                recipe=(f'A = output of block {last3[-1]} [B, C, T\']; G = dA of logits[b, {CLASS}]; '
                        "w[b,c] = mean over t of G[b,c,t]; cam[b,t] = ReLU(sum_c w[b,c] * A[b,c,t]); "
                        f'upsampled by repeating each value {factor} times (repeat_interleave, nearest) to [B, 1, {ARCH["n_samples"]}]; no normalisation'))

            # --- Integrated Gradients, zero baseline, trapezoid rule
            alphas = torch.arange(IG_STEPS + 1, dtype=torch.float64) / IG_STEPS
            wts = torch.full((IG_STEPS + 1,), 1.0 / IG_STEPS, dtype=torch.float64)
            wts[0] = wts[-1] = 0.5 / IG_STEPS
            avg = torch.zeros_like(x64)
            for al, wt in zip(alphas, wts):
                xa = (al * x64).requires_grad_(True)
                g, = torch.autograd.grad(m64(xa)[:, CLASS].sum(), xa)
                avg += wt * g
            ig = x64 * avg
            with torch.no_grad():
                gap = (m64(x64)[:, CLASS] - m64(torch.zeros_like(x64))[:, CLASS])
            ref['ig'] = dict(
                file=save(out_dir, 'classifier_ig.npy', ig, f'Integrated Gradients for class {CLASS}, zero baseline, {IG_STEPS} steps, trapezoid rule'),
                recipe=(f'baseline 0; alpha_k = k/{IG_STEPS}, k = 0..{IG_STEPS}; g_k = d logits[b,{CLASS}]/d ecg at alpha_k * x; '
                        f'avg = sum_k w_k g_k with w_0 = w_{IG_STEPS} = 1/{2 * IG_STEPS}, other w_k = 1/{IG_STEPS}; IG = (x - 0) * avg'),
                completeness=dict(sum_ig=ig.sum(dim=(1, 2)).tolist(), logit_x_minus_logit_baseline=gap.tolist()))

            # --- the same IG in torch float32, and IG from a small-noise baseline. At the all-zero
            # baseline many pre-activations sit on ReLU kinks, so float32 gradients there are
            # ill-conditioned: the float32 error of torch itself is recorded, and the bar is met on
            # a non-degenerate baseline. A separate generator leaves every other fixture unchanged.
            def ig_of(net, xx, base):
                av = torch.zeros_like(xx)
                for al, wt in zip(alphas, wts):
                    xa = (base + al.to(xx.dtype) * (xx - base)).requires_grad_(True)
                    g, = torch.autograd.grad(net(xa)[:, CLASS].sum(), xa)
                    av += wt.to(xx.dtype) * g
                return (xx - base) * av

            def rel(a, b):
                return float(torch.linalg.norm((a.double() - b).flatten()) / torch.linalg.norm(b.flatten()))

            m32 = copy.deepcopy(model).eval()
            ig32 = ig_of(m32, x, torch.zeros_like(x))
            ref['ig']['torch_float32'] = dict(
                file=save(out_dir, 'classifier_ig_torch_f32.npy', ig32, 'the zero-baseline IG above computed by torch in float32'),
                relative_error_vs_float64=rel(ig32, ig))
            ngen = torch.Generator().manual_seed(20203)
            base = NOISE_SD * torch.randn(x.shape, generator=ngen)
            ign = ig_of(m64, x64, base.double())
            ign32 = ig_of(m32, x, base)
            with torch.no_grad():
                gapn = (m64(x64)[:, CLASS] - m64(base.double())[:, CLASS])
            ref['ig_noise'] = dict(
                baseline=save(out_dir, 'classifier_ig_noise_baseline.npy', base, f'IG baseline: N(0, {NOISE_SD}^2) per sample, torch.Generator seed 20203'),
                file=save(out_dir, 'classifier_ig_noise.npy', ign, f'Integrated Gradients for class {CLASS}, small-noise baseline, {IG_STEPS} steps, trapezoid rule'),
                recipe=f'as ig, with baseline b = classifier_ig_noise_baseline.npy: points b + alpha_k (x - b); IG = (x - b) * avg',
                torch_float32=dict(relative_error_vs_float64=rel(ign32, ign)),
                completeness=dict(sum_ig=ign.sum(dim=(1, 2)).tolist(), logit_x_minus_logit_baseline=gapn.tolist()))

            # --- one training step: train mode, dropout p = 0, BCE-with-logits
            tgen = torch.Generator().manual_seed(7)
            y = (torch.rand(BATCH, N_CLASSES, generator=tgen) < 0.4).float()
            tr = copy.deepcopy(m64)
            set_dropout(tr, 0.0)
            tr.train()
            loss = nn.functional.binary_cross_entropy_with_logits(tr(x64), y.double(), reduction='mean')
            params = dict(tr.named_parameters())
            names = ['stem_conv.weight', 'stem_bn.weight', 'stem_bn.bias', 'blocks.0.conv1.weight',
                     'blocks.1.skip.1.weight', f'blocks.{n_blocks - 1}.bn2.weight', f'blocks.{n_blocks - 1}.conv2.weight',
                     'lin.weight', 'lin.bias']
            grads = torch.autograd.grad(loss, [params[n] for n in names])
            ref['train_step'] = dict(
                targets=save(out_dir, 'train_targets.npy', y, 'fixed 0/1 targets [batch, classes] for the training-step reference'),
                loss=loss.item(),
                recipe=('model.train() with every Dropout p = 0; BatchNormalization uses the batch mean and the biased batch '
                        'variance over (batch, time), eps 1e-5; loss = mean over batch and classes of '
                        'BCEWithLogits(logits, targets); gradients of the loss w.r.t. the parameters below'),
                grads=[dict(param=n, file=save(out_dir, f'train_grad_{n.replace(".", "_")}.npy', g, f'd loss / d {n} (training step)'))
                       for n, g in zip(names, grads)])
        references[task] = ref

        # --- ONNX exports
        for opset in OPSETS:
            for folded in (True, False):
                name = f'{task}_op{opset}_{"folded" if folded else "bn"}.onnx'
                path = os.path.join(out_dir, name)
                om = export(model, x, path, opset, folded)
                ops = op_counts(om.graph)
                n_bn = ops.get('BatchNormalization', 0)
                # folded: stem BN and every block's bn1 fold into the Conv before them;
                # bn2 follows the residual Add, so it stays.
                assert n_bn == (n_blocks if folded else 2 * n_blocks + 1), f'{name}: {n_bn} BatchNormalization nodes'
                blocks = block_tensors(om.graph, n_blocks)
                inits = {i.name for i in om.graph.initializer}
                entry = dict(file=name, task=task, opset=opset, bnFolded=folded, input='ecg', output='logits',
                             outputShape=['batch', n_out], opCounts=ops,
                             blocks=[dict(block=b, module=f'blocks.{b}', tensor=blocks[b]['tensor'],
                                          shape=['batch', ARCH['filters'][b + 1], int(acts[b].shape[2])]) for b in last3],
                             bytes=os.path.getsize(path))
                if not folded:
                    pm = {n: n for n, _ in model.named_parameters() if n in inits}
                    entry['parameters'] = pm
                    if task == 'classifier':
                        missing = [g['param'] for g in ref['train_step']['grads'] if g['param'] not in inits]
                        assert not missing, f'{name}: parameters without an initializer of the same name: {missing}'
                models.append(entry)

    for f in files:
        f['bytes'] = os.path.getsize(os.path.join(out_dir, f['file']))
    manifest = dict(
        generator='scripts/torch/make_fixtures.py',
        command='/usr/bin/python3 scripts/torch/make_fixtures.py',
        versions=dict(torch=torch.__version__, onnx=onnx.__version__, numpy=np.__version__, python=sys.version.split()[0]),
        architecture=dict(ARCH, n_classes=N_CLASSES, form='Ribeiro et al. 2020 (scripts/torch/resnet1d.py)',
                          stem='Conv(k, no bias) -> BN -> ReLU',
                          block='skip = Conv1x1(MaxPool(y)); x = Dropout(ReLU(BN(Conv_k(x)))); x = Conv_k(x, stride=downsample) + skip; '
                                'y = x; x = Dropout(ReLU(BN(x)))',
                          head='Flatten -> Linear', dropout=0.2),
        batch=BATCH, targetClass=CLASS,
        export=dict(folded="torch.onnx.export(model.eval(), do_constant_folding=True): the eval peephole pass fuses "
                           "Conv+BatchNormalization (stem and every block's bn1); bn2 follows an Add and stays",
                    bn="training=TrainingMode.PRESERVE, do_constant_folding=False: no eval peephole, every BatchNormalization stays "
                       "and parameter initializers keep their torch names",
                    names="input 'ecg' [batch, 12, 256], output 'logits' [batch, n_out], dynamic axis 0 'batch'"),
        references=dict(how='float64 copy of the float32 model, torch.autograd; stored as float32', **references),
        models=models,
        files=files,
    )
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1)
        fh.write('\n')
    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f'wrote {len(files)} arrays and {len(models)} models to {out_dir} ({total / 1e6:.2f} MB)')


if __name__ == '__main__':
    main()
