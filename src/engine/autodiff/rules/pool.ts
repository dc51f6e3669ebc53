/**
 * Pools. MaxPool: the forward node also outputs its argmax Indices (flat
 * indices into x, batch and channel included), and the gradient is
 * scatter-added through them, so overlapping windows and ties match PyTorch
 * (one winner per window). AveragePool: a ConvTranspose with a constant
 * kernel per channel. GlobalAveragePool: dY / T broadcast over time.
 */
import { DType, getIntAttr, makeFloatTensor } from '../../onnx/proto.js';
import { unsupported, type Rule } from '../rule.js';
import { outputLength, outputPadding, windowOf } from './geometry.js';

export const MAXPOOL_RULE: Rule = {
  forward(c) {
    const n = c.node;
    if (!c.onPath) return c.e.push(n);
    let idx = n.output?.[1];
    if (!idx) {
      idx = c.e.fresh(`${n.output![0]}_argmax`);
      c.e.push({ ...n, output: [n.output![0]!, idx] });
    } else c.e.push(n);
    c.saved.set('indices', idx);
  },
  backward(c) {
    const dy = c.dy();
    if (!dy || !c.wants(0)) return [];
    if (getIntAttr(c.node, 'storage_order', 0) !== 0) unsupported(c.node, 'storage_order=1 is not supported');
    const { e } = c;
    const x = c.x(0);
    e.minOpset = Math.max(e.minOpset, 16);
    const flat = (t: string): string => e.op('Reshape', [t, e.constInt([-1])]);
    const xs = e.info.staticShape(x);
    const size = xs ? e.constInt([xs.reduce((a, b) => a * b, 1)]) : e.op('Reshape', [e.op('Size', [x]), e.constInt([1])]);
    const zeros = e.op('ConstantOfShape', [size], { value: makeFloatTensor('', [1], [0]) });
    const acc = e.op('ScatterElements', [zeros, flat(c.saved.get('indices') as string), flat(dy)], { axis: 0, reduction: 'add' });
    return [e.op('Reshape', [acc, e.shapeTensor(x)], {}, `${x}_grad`)];
  },
};

export const AVERAGEPOOL_RULE: Rule = {
  backward(c) {
    const dy = c.dy();
    if (!dy || !c.wants(0)) return [];
    const { e } = c;
    const x = c.x(0);
    const win = windowOf(c.node, c.info, x);
    const lengths = win.inputLengths;
    if (lengths.some((L) => L === undefined)) unsupported(c.node, 'AveragePool gradient needs static spatial lengths');
    const Ls = lengths as number[];
    const los = Ls.map((L, i) => outputLength(win, i, L));
    const includePad = getIntAttr(c.node, 'count_include_pad', 0) === 1;
    const kprod = win.kernel.reduce((a, b) => a * b, 1);
    // Each window's divisor: the kernel size, or the number of real (unpadded) samples in it.
    let scaled: string;
    if (includePad || win.pads.every((p) => p === 0)) scaled = e.mul(dy, e.scalar(1 / kprod));
    else {
      const perAxis = los.map((lo, i) => Array.from({ length: lo }, (_, t) => {
        const start = t * win.strides[i]! - win.pads[i]!;
        let n = 0;
        for (let j = 0; j < win.kernel[i]!; j++) {
          const p = start + j * win.dilations[i]!;
          if (p >= 0 && p < Ls[i]!) n++;
        }
        return n;
      }));
      const total = los.reduce((a, b) => a * b, 1);
      const inv = new Float32Array(total);
      for (let k = 0; k < total; k++) {
        let rem = k, prod = 1;
        for (let i = win.spatial - 1; i >= 0; i--) {
          prod *= perAxis[i]![rem % los[i]!]!;
          rem = Math.floor(rem / los[i]!);
        }
        inv[k] = 1 / prod;
      }
      scaled = e.mul(dy, e.constFloat(inv, los));
    }
    // Channels as batch: [N, C, ...] -> [N*C, 1, ...], a ones kernel, and back.
    const merged = e.op('Reshape', [scaled, e.constInt([-1, 1, ...los])]);
    const ones = e.constFloat(new Float32Array(kprod).fill(1), [1, 1, ...win.kernel]);
    const ct = e.op('ConvTranspose', [merged, ones], {
      kernel_shape: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads,
      output_padding: Ls.map((L, i) => outputPadding(win, i, L)),
    });
    return [e.op('Reshape', [ct, e.shapeTensor(x)], {}, `${x}_grad`)];
  },
};

export const GLOBALAVERAGEPOOL_RULE: Rule = {
  backward(c) {
    const dy = c.dy();
    if (!dy || !c.wants(0)) return [];
    const { e } = c;
    const x = c.x(0);
    const xs = e.info.shape(x);
    const spatial = xs?.slice(2);
    let scaled: string;
    if (spatial && spatial.every((d) => typeof d === 'number')) scaled = e.mul(dy, e.scalar(1 / (spatial as number[]).reduce((a, b) => a * b, 1)));
    else {
      const count = e.op('Cast', [e.op('Div', [e.op('Size', [x]), e.op('Size', [dy])])], { to: DType.FLOAT });
      scaled = e.op('Div', [dy, count]);
    }
    return [e.op('Expand', [scaled, e.shapeTensor(x)], {}, `${x}_grad`)];
  },
};

/** GlobalMaxPool: dY to the position(s) holding the maximum (every tied one; ties are measure-zero in float data). */
export const GLOBALMAXPOOL_RULE: Rule = {
  backward(c) {
    const dy = c.dy();
    if (!dy || !c.wants(0)) return [];
    const { e } = c;
    const hit = e.op('Equal', [c.x(0), c.y(0)]);
    return [e.op('Where', [hit, e.op('Expand', [dy, e.shapeTensor(c.x(0))]), e.scalar(0)], {}, `${c.x(0)}_grad`)];
  },
};
