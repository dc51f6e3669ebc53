#!/usr/bin/env python3
"""Exports the PyTorch mirror of an ecgx resnet1d (bench/engine_torch.py's
load_mirror: same architecture, same weights) to ONNX, as a user's own
PyTorch model would arrive: PyTorch's op names, BatchNorm folded into the
convolutions, no ecgx metadata. Used by bench/foreign.ts.

    /usr/bin/python3 bench/foreign_export.py --model ECGX.onnx --out FOREIGN.onnx
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_torch import load_mirror  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    model, o = load_mirror(a.model)
    model.eval()
    x = torch.randn(2, o['leads'], o['samples'])
    torch.onnx.export(model, (x,), a.out, input_names=['input'], output_names=['output'],
                      dynamic_axes={'input': {0: 'n'}, 'output': {0: 'n'}}, opset_version=17, do_constant_folding=True)


if __name__ == '__main__':
    main()
