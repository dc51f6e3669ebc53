"""A 1D-ResNet in the form of Ribeiro et al. 2020 ("Automatic diagnosis of the
12-lead ECG using a deep neural network", Nat. Commun.), as in the authors'
PyTorch code: a conv-BN-ReLU stem, then residual blocks that carry two streams,
x (post-activation) and y (the pre-activation sum that feeds the next skip).

Block:  skip = Conv1x1(MaxPool(y, downsample))   (MaxPool only if downsample > 1,
                                                   Conv1x1 only if channels change)
        x = Dropout(ReLU(BN(Conv_k(x))))
        x = Conv_k(x, stride=downsample) + skip
        y = x
        x = Dropout(ReLU(BN(x)))
Head:   flatten -> Linear (Ribeiro), or global average pooling over time -> Linear ('gap').

Shared by make_fixtures.py and bench/engine_torch.py.
"""
import torch
from torch import nn
from torch.nn import functional as F


def conv2_padding(downsample: int, kernel: int) -> int:
    # Ribeiro's choice: keeps len_out = len_in / downsample for an odd kernel.
    return max(0, (kernel - downsample + 1) // 2)


def same_padding(length: int, kernel: int, stride: int):
    """ecgx's 'same' padding (src/engine/onnx/builder.ts resolvePad): output
    ceil(length / stride), total padding split [floor(total/2), rest]."""
    out = -(-length // stride)
    total = max((out - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


class PaddedConv1d(nn.Conv1d):
    """Conv1d with (left, right) zero padding; asymmetric padding costs one F.pad."""

    def __init__(self, n_in, n_out, kernel, stride, pads):
        sym = pads[0] == pads[1]
        super().__init__(n_in, n_out, kernel, stride=stride, padding=pads[0] if sym else 0, bias=False)
        self.extra_pad = None if sym else tuple(pads)

    def forward(self, x):
        if self.extra_pad is not None:
            x = F.pad(x, self.extra_pad)
        return super().forward(x)


class SamePool1d(nn.Module):
    """MaxPool1d(k, stride k) over ecgx's 'same' padding (output ceil(length / k));
    the padding never wins the max (ONNX MaxPool semantics)."""

    def __init__(self, k, length):
        super().__init__()
        self.k = k
        self.pads = same_padding(length, k, k)

    def forward(self, x):
        if self.pads != (0, 0):
            x = F.pad(x, self.pads, value=float('-inf'))
        return F.max_pool1d(x, self.k, self.k)


class ResBlock1d(nn.Module):
    def __init__(self, n_in, n_out, downsample, kernel, dropout, length=None, padding='ribeiro'):
        super().__init__()
        assert kernel % 2 == 1, 'odd kernels only'
        self.conv1 = nn.Conv1d(n_in, n_out, kernel, padding=(kernel - 1) // 2, bias=False)
        self.bn1 = nn.BatchNorm1d(n_out)
        self.relu1 = nn.ReLU()
        self.dropout1 = nn.Dropout(dropout)
        if padding == 'same':
            self.conv2 = PaddedConv1d(n_out, n_out, kernel, downsample, same_padding(length, kernel, downsample))
        else:
            self.conv2 = nn.Conv1d(n_out, n_out, kernel, stride=downsample,
                                   padding=conv2_padding(downsample, kernel), bias=False)
        self.bn2 = nn.BatchNorm1d(n_out)
        self.relu2 = nn.ReLU()
        self.dropout2 = nn.Dropout(dropout)
        skip = []
        if downsample > 1 and padding == 'same' and length % downsample:
            skip.append(SamePool1d(downsample, length))
        elif downsample > 1:
            skip.append(nn.MaxPool1d(downsample, stride=downsample))
        if n_in != n_out:
            skip.append(nn.Conv1d(n_in, n_out, 1, bias=False))
        self.skip = nn.Sequential(*skip) if skip else None

    def forward(self, x, y):
        if self.skip is not None:
            y = self.skip(y)
        x = self.dropout1(self.relu1(self.bn1(self.conv1(x))))
        x = self.conv2(x)
        x = x + y
        y = x
        x = self.dropout2(self.relu2(self.bn2(x)))
        return x, y


class ResNet1d(nn.Module):
    """input [batch, leads, n_samples] -> output [batch, n_outputs].

    filters[0] is the stem width; blocks i = 1.. go filters[i-1] -> filters[i]
    and divide the length by downsample[i-1]. padding: 'ribeiro' (symmetric,
    as in the authors' code) or 'same' (as ecgx's resnet1d; differs from
    'ribeiro' by one sample where a strided conv needs odd total padding;
    lengths need not divide: each block gives ceil(length / downsample)).
    head: 'flatten' (Ribeiro) or 'gap' (mean over time, as resnet1d-small).
    """

    def __init__(self, n_leads, n_samples, filters, downsample, kernel, n_outputs, dropout=0.2, padding='ribeiro', head='flatten'):
        super().__init__()
        assert len(downsample) == len(filters) - 1
        self.stem_conv = nn.Conv1d(n_leads, filters[0], kernel, padding=(kernel - 1) // 2, bias=False)
        self.stem_bn = nn.BatchNorm1d(filters[0])
        self.stem_relu = nn.ReLU()
        blocks = []
        length = n_samples
        for i, ds in enumerate(downsample):
            assert padding == 'same' or length % ds == 0, f'block {i}: length {length} not divisible by {ds}'
            blocks.append(ResBlock1d(filters[i], filters[i + 1], ds, kernel, dropout, length, padding))
            length = -(-length // ds)
        self.blocks = nn.ModuleList(blocks)
        self.out_length = length
        assert head in ('flatten', 'gap'), head
        self.head = head
        self.lin = nn.Linear(filters[-1] * (length if head == 'flatten' else 1), n_outputs)

    def forward(self, x):
        return self.forward_blocks(x)[0]

    def forward_blocks(self, x):
        """(output, [output of each residual block])"""
        x = self.stem_relu(self.stem_bn(self.stem_conv(x)))
        y = x
        acts = []
        for blk in self.blocks:
            x, y = blk(x, y)
            acts.append(x)
        return self.lin(self.pool(x)), acts

    def pool(self, x):
        """The head's input from the last block's output."""
        return torch.flatten(x, 1) if self.head == 'flatten' else x.mean(dim=2)


def set_dropout(model: nn.Module, p: float) -> None:
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = p
