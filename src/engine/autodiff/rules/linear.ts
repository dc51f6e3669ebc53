/** MatMul (batched, broadcasting) and Gemm (transA/transB/alpha/beta). */
import { getFloatAttr, getIntAttr } from '../../onnx/proto.js';
import type { Emitter } from '../emitter.js';
import { unsupported, type Rule } from '../rule.js';

function swapLast(e: Emitter, t: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return e.op('Transpose', [t], { perm });
}

export const MATMUL_RULE: Rule = {
  backward(c) {
    const dy0 = c.dy();
    if (!dy0) return [];
    const { e } = c;
    let [a, b] = [c.x(0), c.x(1)];
    const ra = c.info.rank(a), rb = c.info.rank(b);
    if (ra === undefined || rb === undefined) unsupported(c.node, 'operand ranks are unknown');
    // 1-D operands: promote as numpy does, and undo on the way back.
    let dy = dy0;
    if (ra === 1) { a = e.unsqueeze(a, [0]); dy = e.unsqueeze(dy, [rb === 1 ? 0 : -2]); }
    if (rb === 1) { b = e.unsqueeze(b, [1]); dy = e.unsqueeze(dy, [-1]); }
    const [ra2, rb2] = [Math.max(ra, 2), Math.max(rb, 2)];
    let da: string | undefined, db: string | undefined;
    if (c.wants(0)) {
      da = e.op('MatMul', [dy, swapLast(e, b, rb2)]);
      da = ra === 1 ? e.reshapeLike(da, c.x(0)) : e.sumTo(da, a);
    }
    if (c.wants(1)) {
      const ys = c.info.shape(dy);
      const as = c.info.shape(a);
      if (rb2 === 2 && ra2 > 2 && ys && as && typeof as[as.length - 1] === 'number' && typeof ys[ys.length - 1] === 'number') {
        // [.., M, K] x [K, N]: fold the batch axes into one GEMM.
        const a2 = e.op('Reshape', [a, e.constInt([-1, as[as.length - 1] as number])]);
        const y2 = e.op('Reshape', [dy, e.constInt([-1, ys[ys.length - 1] as number])]);
        db = e.op('Gemm', [a2, y2], { transA: 1 });
      } else {
        db = e.sumTo(e.op('MatMul', [swapLast(e, a, ra2), dy]), b);
      }
      if (rb === 1) db = e.reshapeLike(db, c.x(1));
    }
    return [da, db];
  },
};

export const GEMM_RULE: Rule = {
  backward(c) {
    const dy = c.dy();
    if (!dy) return [];
    const { e } = c;
    const [a, b, cc] = [c.x(0), c.x(1), c.x(2)];
    const transA = getIntAttr(c.node, 'transA', 0), transB = getIntAttr(c.node, 'transB', 0);
    const alpha = getFloatAttr(c.node, 'alpha', 1), beta = getFloatAttr(c.node, 'beta', 1);
    // Y = alpha * A' B' + beta * C with A' = transA ? A^T : A, B' = transB ? B^T : B.
    let da: string | undefined, db: string | undefined, dc: string | undefined;
    if (c.wants(0)) {
      da = transA
        ? e.op('Gemm', [b, dy], { alpha: { float: alpha }, transA: transB, transB: 1 })
        : e.op('Gemm', [dy, b], { alpha: { float: alpha }, transB: transB ? 0 : 1 });
    }
    if (c.wants(1)) {
      db = transB
        ? e.op('Gemm', [dy, a], { alpha: { float: alpha }, transA: 1, transB: transA })
        : e.op('Gemm', [a, dy], { alpha: { float: alpha }, transA: transA ? 0 : 1 });
    }
    if (cc && c.wants(2)) {
      const scaled = beta === 1 ? dy : e.mul(dy, e.scalar(beta));
      dc = e.sumTo(scaled, cc);
    }
    return [da, db, dc];
  },
};
