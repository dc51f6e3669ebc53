"""captum references for ecgx's modified-gradient and Shapley methods.

Called by make_fixtures.py --captum CAPTUM_SRC (captum run from a source
checkout, never committed). Writes test/fixtures/torch/captum/ only: the
classifier is rebuilt from the committed classifier_op13_bn.onnx (its
initializers keep torch's parameter names), so the references belong to the
exact ONNX models the tests load. References are computed on a float64 copy
and stored as float32.

Forms captum needs that do not change the maths (recorded in the manifest):
- DeepLift hooks a module's input tensor, so a tensor used twice (a block's
  pre-activation sum y feeds its own bn2 and the next block's MaxPool skip)
  would have the MaxPool multiplier replace the gradient of both uses. The
  captum run feeds the skip its own copy (y * 1); the unpatched model's
  convergence delta is recorded to show why.
- LRP needs the residual sum as a module (captum's Addition_Module) and a
  rule on each layer type captum has no default for (Conv1d, BatchNorm1d,
  MaxPool1d). For z+ the Conv+BN pairs are fused (torch.nn.utils.fusion) as
  ecgx folds them; the emptied BN slot becomes Dropout(0), a pass-through.
"""
import copy
import json
import os
import types

import numpy as np
import torch
from torch import nn
import onnx
from onnx import numpy_helper

from resnet1d import ResNet1d

TARGET = 1
N_REFS = 3  # background references of DeepLiftShap / GradientShap
GS_SAMPLES = 4
GS_STDEV = 0.05
KS_WINDOW = 64  # KernelShap features: (lead, 64-sample window)
KS_SAMPLES = 160
SHAP_LEADS_SAMPLES = 600  # KernelShap over 12 whole leads (statistical check against exact Shapley)


def load_classifier(path, arch, n_out):
    model = ResNet1d(n_outputs=n_out, **arch)
    m = onnx.load(path)
    sd = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected, unexpected
    assert all(k.endswith('num_batches_tracked') for k in missing), missing
    return model.eval()


def block_forward_copy_skip(self, x, y):
    if self.skip is not None:
        y = self.skip(y * 1.0)
    x = self.dropout1(self.relu1(self.bn1(self.conv1(x))))
    x = self.conv2(x)
    x = x + y
    y = x
    x = self.dropout2(self.relu2(self.bn2(x)))
    return x, y


def block_forward_add_module(self, x, y):
    if self.skip is not None:
        y = self.skip(y)
    x = self.dropout1(self.relu1(self.bn1(self.conv1(x))))
    x = self.conv2(x)
    x = self.add(x, y)
    y = x
    x = self.dropout2(self.relu2(self.bn2(x)))
    return x, y


def patched(model, forward):
    m = copy.deepcopy(model)
    for blk in m.blocks:
        blk.forward = types.MethodType(forward, blk)
    return m


def lead_medians(x):
    """Each lead's median per ECG, repeated over time: the 'median' masking baseline."""
    med = x.median(dim=2, keepdim=True).values  # torch: the lower of the two middle values
    return med.expand_as(x).clone()


def run(captum_src, out_dir, arch):
    import sys
    sys.path.insert(0, captum_src)
    import captum
    from captum.attr import (DeepLift, DeepLiftShap, GradientShap, GuidedBackprop, GuidedGradCam, KernelShap, LRP)
    from captum.attr._utils.custom_modules import Addition_Module
    from captum.attr._utils.lrp_rules import EpsilonRule, Alpha1_Beta0_Rule
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    sub = os.path.join(out_dir, 'captum')
    os.makedirs(sub, exist_ok=True)
    for f in os.listdir(sub):
        if f.endswith('.npy') or f == 'manifest.json':
            os.remove(os.path.join(sub, f))
    files = []

    def put(name, arr, description):
        arr = np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
        np.save(os.path.join(sub, name), arr)
        files.append(dict(file=name, shape=list(arr.shape), dtype='float32', description=description))
        return name

    x = torch.from_numpy(np.load(os.path.join(out_dir, 'x.npy')))
    n = x.shape[0]
    model32 = load_classifier(os.path.join(out_dir, 'classifier_op13_bn.onnx'), arch, 6)
    ref_logits = torch.from_numpy(np.load(os.path.join(out_dir, 'classifier_logits.npy')))
    assert torch.allclose(model32(x), ref_logits, atol=1e-4), 'weights from the ONNX do not reproduce the logits'
    model = copy.deepcopy(model32).double().eval()
    x64 = x.double()
    refs = {}

    # --- DeepLift, zero baseline
    zero = torch.zeros_like(x64)
    dl_model = patched(model, block_forward_copy_skip)
    a, delta = DeepLift(dl_model, eps=1e-10).attribute(x64, baselines=zero, target=TARGET, return_convergence_delta=True)
    _, delta_unpatched = DeepLift(copy.deepcopy(model), eps=1e-10).attribute(x64, baselines=zero, target=TARGET, return_convergence_delta=True)
    refs['deeplift'] = dict(file=put('deeplift.npy', a.detach(), f'captum DeepLift, class {TARGET}, zero baseline, eps 1e-10'),
                            baseline='zero', convergence_delta=delta.tolist(),
                            convergence_delta_without_skip_copy=delta_unpatched.tolist())

    # --- DeepLiftShap over N_REFS references
    gen = torch.Generator().manual_seed(31)
    t = torch.arange(x.shape[2], dtype=torch.float64) / x.shape[2]
    bg = 0.3 * torch.sin(6.2832 * (1 + 4 * torch.rand(N_REFS, x.shape[1], 1, generator=gen, dtype=torch.float64)) * t) \
        + 0.05 * torch.randn(N_REFS, x.shape[1], x.shape[2], generator=gen, dtype=torch.float64)
    put('background.npy', bg, f'{N_REFS} background references [K, leads, time] (smooth random signals, torch.Generator seed 31)')
    a, delta = DeepLiftShap(dl_model, multiply_by_inputs=True).attribute(x64, baselines=bg, target=TARGET, return_convergence_delta=True)
    refs['deeplift_shap'] = dict(file=put('deeplift_shap.npy', a.detach(), f'captum DeepLiftShap, class {TARGET}, baselines background.npy'),
                                 convergence_delta_per_pair=delta.tolist())

    # --- GradientShap with its random draws recorded
    drawn = {}
    np_choice, np_uniform, t_normal = np.random.choice, np.random.uniform, torch.normal

    def choice(*args, **kw):
        r = np_choice(*args, **kw)
        drawn['index'] = np.asarray(r)
        return r

    def uniform(*args, **kw):
        r = np_uniform(*args, **kw)
        drawn['alpha'] = np.asarray(r)
        return r

    def normal(*args, **kw):
        r = t_normal(*args, **kw)
        drawn['noise'] = r.detach().clone()
        return r

    np.random.seed(41)
    torch.manual_seed(41)
    np.random.choice, np.random.uniform, torch.normal = choice, uniform, normal
    try:
        a = GradientShap(model).attribute(x64, baselines=bg, n_samples=GS_SAMPLES, stdevs=GS_STDEV, target=TARGET)
    finally:
        np.random.choice, np.random.uniform, torch.normal = np_choice, np_uniform, t_normal
    assert drawn['index'].shape == (n * GS_SAMPLES,) and drawn['alpha'].shape == (n * GS_SAMPLES,)
    refs['gradient_shap'] = dict(
        file=put('gradient_shap.npy', a.detach(), f'captum GradientShap, class {TARGET}, baselines background.npy, n_samples {GS_SAMPLES}, stdevs {GS_STDEV}'),
        draws=dict(order=f'row r = b * {GS_SAMPLES} + s (inputs repeat_interleave n_samples)',
                   reference=put('gradient_shap_reference.npy', drawn['index'].astype(np.float32), 'background index per row (np.random.choice)'),
                   alpha=put('gradient_shap_alpha.npy', drawn['alpha'], 'path point per row (np.random.uniform)'),
                   noise=put('gradient_shap_noise.npy', drawn['noise'], f'input noise per row N(0, {GS_STDEV}^2) (torch.normal)')),
        seeds=dict(numpy=41, torch=41))

    # --- GuidedBackprop, GuidedGradCam at the last block's output (its relu2)
    a = GuidedBackprop(model).attribute(x64, target=TARGET)
    refs['guided_backprop'] = dict(file=put('guided_backprop.npy', a.detach(), f'captum GuidedBackprop, class {TARGET}'))
    last = len(model.blocks) - 1
    a = GuidedGradCam(model, model.blocks[last].relu2).attribute(x64, target=TARGET)
    refs['guided_gradcam'] = dict(file=put('guided_gradcam.npy', a.detach(), f'captum GuidedGradCam, class {TARGET}, layer blocks.{last}.relu2 (the block output), nearest'),
                                  layer_module=f'blocks.{last}.relu2')

    # --- LRP, epsilon rule everywhere
    def lrp_model(fuse):
        m = copy.deepcopy(model)
        for blk in m.blocks:
            blk.add = Addition_Module()
            blk.forward = types.MethodType(block_forward_add_module, blk)
        if fuse:
            m.stem_conv = fuse_conv_bn_eval(m.stem_conv, m.stem_bn)
            m.stem_bn = nn.Dropout(0.0)
            for blk in m.blocks:
                blk.conv1 = fuse_conv_bn_eval(blk.conv1, blk.bn1)
                blk.bn1 = nn.Dropout(0.0)
        return m.eval()

    m = lrp_model(False)
    for mod in m.modules():
        if isinstance(mod, (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.Linear, Addition_Module)):
            mod.rule = EpsilonRule(1e-9)
    a, delta = LRP(m).attribute(x64, target=TARGET, return_convergence_delta=True)
    refs['lrp_epsilon'] = dict(file=put('lrp_epsilon.npy', a.detach(), f'captum LRP, class {TARGET}, EpsilonRule(1e-9) on every Conv1d, BatchNorm1d, MaxPool1d, Linear and residual Addition_Module'),
                               relevance_sum=a.sum(dim=(1, 2)).tolist(), convergence_delta=delta.tolist())

    # --- LRP, z+ (Alpha1_Beta0) on the weighted layers after the first, Conv+BN fused
    m = lrp_model(True)
    for name, mod in m.named_modules():
        if isinstance(mod, (nn.Conv1d, nn.Linear)) and name != 'stem_conv':
            mod.rule = Alpha1_Beta0_Rule()
        elif isinstance(mod, (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, Addition_Module)):
            mod.rule = EpsilonRule(1e-9)
    a = LRP(m).attribute(x64, target=TARGET)
    refs['lrp_zplus'] = dict(file=put('lrp_zplus.npy', a.detach(), f'captum LRP, class {TARGET}: Conv+BN fused; stem conv EpsilonRule(1e-9); other Conv1d and Linear Alpha1_Beta0_Rule; bn2, MaxPool1d, Addition_Module EpsilonRule(1e-9)'),
                             relevance_sum=a.sum(dim=(1, 2)).tolist())

    # --- KernelShap: features (lead, 64-sample window), per-lead median baseline, masks recorded
    L, T = x.shape[1], x.shape[2]
    wins = T // KS_WINDOW
    fmask = (torch.arange(L).view(L, 1) * wins + torch.arange(T).view(1, T) // KS_WINDOW).unsqueeze(0)
    med = lead_medians(x64)

    def kernel_shap(mask, n_samples, seed, what):
        ks = KernelShap(model)
        masks = []
        orig = ks.perturb_func

        def recording(*args, **kw):
            for z in orig(*args, **kw):
                masks.append(z.clone())
                yield z

        ks.perturb_func = recording
        torch.manual_seed(seed)
        out = []
        for b in range(n):  # one call per ECG: its masks are its own
            masks.clear()
            a = ks.attribute(x64[b:b + 1], baselines=med[b:b + 1], target=TARGET, feature_mask=mask, n_samples=n_samples)
            m_features = int(mask.max()) + 1
            phi = torch.zeros(m_features, dtype=torch.float64)
            for f in range(m_features):
                phi[f] = a[0][mask[0] == f][0]
            out.append((phi, torch.cat(masks).float()))
        return out

    ks = kernel_shap(fmask, KS_SAMPLES, 51, 'windows')
    refs['kernel_shap'] = dict(
        features=f'feature id = lead * {wins} + t // {KS_WINDOW} ({L * wins} features); masked samples take the lead median (torch.median: the lower middle value)',
        baseline='per-lead median of each ECG', n_samples=KS_SAMPLES, torch_seed=51,
        values=put('kernel_shap.npy', torch.stack([p for p, _ in ks]), 'captum KernelShap value per feature [batch, features]'),
        masks=put('kernel_shap_masks.npy', torch.stack([z for _, z in ks]), 'the coalitions captum drew, per ECG [batch, n_samples, features] (1 = feature present)'),
        weights='1e6 for the all-present and all-absent coalitions, 1 otherwise; sklearn LinearRegression with intercept')

    # --- Exact Shapley over 12 whole leads (brute force), and KernelShap on the same features
    lead_mask = torch.arange(L).view(1, L, 1).expand(1, L, T)
    M = L
    coalitions = torch.tensor([[(s >> j) & 1 for j in range(M)] for s in range(1 << M)], dtype=torch.float64)
    exact = torch.zeros(n, M, dtype=torch.float64)
    from math import factorial
    wsize = [factorial(k) * factorial(M - k - 1) / factorial(M) for k in range(M)]
    with torch.no_grad():
        for b in range(n):
            keep = coalitions.view(-1, M, 1)  # [2^M, leads, 1]
            xs = keep * x64[b] + (1 - keep) * med[b]
            f = torch.cat([model(xs[i:i + 512])[:, TARGET] for i in range(0, xs.shape[0], 512)])
            for j in range(M):
                without = [s for s in range(1 << M) if not (s >> j) & 1]
                for s in without:
                    exact[b, j] += wsize[bin(s).count('1')] * (f[s | (1 << j)] - f[s])
    ksl = kernel_shap(lead_mask, SHAP_LEADS_SAMPLES, 52, 'leads')
    approx = torch.stack([p for p, _ in ksl])
    rel = float(torch.linalg.norm(approx - exact) / torch.linalg.norm(exact))
    refs['shapley_leads'] = dict(
        features='one feature per lead (12), masked leads take their median',
        exact=put('shapley_leads_exact.npy', exact, 'exact Shapley value per lead [batch, 12] (all 4096 coalitions, float64)'),
        kernel_shap=put('kernel_shap_leads.npy', approx, f'captum KernelShap per lead [batch, 12], n_samples {SHAP_LEADS_SAMPLES}, torch seed 52'),
        kernel_shap_relative_error_vs_exact=rel,
        efficiency=dict(sum_exact=exact.sum(1).tolist(),
                        f_x_minus_f_median=(model(x64)[:, TARGET] - model(med)[:, TARGET]).tolist()))

    manifest = dict(generator='scripts/torch/make_fixtures.py --captum (scripts/torch/captum_refs.py)',
                    captum=getattr(captum, '__version__', '?'), torch=torch.__version__,
                    model='classifier_op13_bn.onnx (weights loaded into scripts/torch/resnet1d.py), float64 copy',
                    input='x.npy', target=TARGET, references=refs, files=files)
    with open(os.path.join(sub, 'manifest.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1)
        fh.write('\n')
    print(f'wrote {len(files)} captum references to {sub}')
