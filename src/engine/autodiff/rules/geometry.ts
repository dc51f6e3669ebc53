/** Window geometry shared by Conv and the pools: kernel, strides, dilations, explicit pads. */
import { getAttr, getIntAttr, getIntsAttr, type NodeProto } from '../../onnx/proto.js';
import type { ShapeInfo } from '../../onnx/shapes.js';
import { unsupported } from '../rule.js';

export interface Window {
  /** Number of spatial axes (1 for ECG tensors [N, C, T]). */
  spatial: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] as in ONNX, resolved from auto_pad when needed. */
  pads: number[];
  /** Static input lengths along the spatial axes, undefined where symbolic. */
  inputLengths: (number | undefined)[];
}

export function windowOf(node: NodeProto, info: ShapeInfo, x: string, kernelFromWeight?: string): Window {
  const xs = info.shape(x);
  const ws = kernelFromWeight ? info.shape(kernelFromWeight) : undefined;
  let kernel = getIntsAttr(node, 'kernel_shape', []);
  if (kernel.length === 0 && ws && ws.slice(2).every((d) => typeof d === 'number')) kernel = ws.slice(2) as number[];
  const spatial = kernel.length || (xs ? xs.length - 2 : 0);
  if (kernel.length !== spatial || spatial === 0) unsupported(node, 'kernel shape unknown (add kernel_shape or give the weight a static shape)');
  const strides = getIntsAttr(node, 'strides', new Array(spatial).fill(1));
  const dilations = getIntsAttr(node, 'dilations', new Array(spatial).fill(1));
  const inputLengths = Array.from({ length: spatial }, (_, i) => {
    const d = xs?.[2 + i];
    return typeof d === 'number' ? d : undefined;
  });
  const autoPad = (getAttr(node, 'auto_pad') as string | undefined) ?? 'NOTSET';
  let pads = getIntsAttr(node, 'pads', new Array(2 * spatial).fill(0));
  if (autoPad === 'VALID') pads = new Array(2 * spatial).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array(2 * spatial).fill(0);
    for (let i = 0; i < spatial; i++) {
      const L = inputLengths[i];
      if (L === undefined) unsupported(node, `auto_pad=${autoPad} needs a static input length`);
      const total = Math.max(0, (Math.ceil(L / strides[i]!) - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - L);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + spatial] = total - pads[i]!;
    }
  }
  if (getIntAttr(node, 'ceil_mode', 0) === 1 && node.opType !== 'MaxPool') unsupported(node, 'ceil_mode=1 is not supported');
  return { spatial, kernel, strides, dilations, pads, inputLengths };
}

/** Output length of a window op along spatial axis i (floor mode). */
export function outputLength(w: Window, i: number, L: number): number {
  return Math.floor((L + w.pads[i]! + w.pads[i + w.spatial]! - (w.kernel[i]! - 1) * w.dilations[i]! - 1) / w.strides[i]!) + 1;
}

/**
 * output_padding of the ConvTranspose that maps the window op's output back
 * to exactly the input length: the input samples past the last window.
 */
export function outputPadding(w: Window, i: number, L: number): number {
  return (L + w.pads[i]! + w.pads[i + w.spatial]! - (w.kernel[i]! - 1) * w.dilations[i]! - 1) % w.strides[i]!;
}
