/**
 * Faithfulness of the report's attribution methods on its example ECGs:
 * deletion and insertion AUC per method, beside the same curves for a seeded
 * random map (the level a method must beat) and the target's score with the
 * whole signal deleted (a warning when it barely moves: the model hardly
 * uses its input). The web app shows the same numbers for one record
 * (explain/metrics/evaluate.ts), so both say the same thing.
 */
import type { ModelProto } from '../../engine/onnx/proto.js';
import { ExplainModel } from '../../explain/model.js';
import { createExplainer } from '../../explain/registry.js';
import { deletionCurve } from '../../explain/metrics/deletion.js';
import { randomBaseline, wholeDeletion, type WholeDeletion } from '../../explain/metrics/baseline.js';
import type { Target } from '../../explain/protocol.js';
import type { NdArray } from '../../util/npy.js';

export interface FaithfulnessRow {
  method: string;
  /** Mean over the ECGs; deletion: lower is better, insertion: higher is better. */
  deletion: number;
  insertion: number;
}

export interface FaithfulnessTable {
  ecgs: number;
  curveSteps: number;
  rows: FaithfulnessRow[];
  /** The seeded random map (per lead and sample). */
  random: FaithfulnessRow;
  wholeDeletion: WholeDeletion;
}

/**
 * Measures `methods` on model inputs x [n, leads, time], each ECG explained
 * for its own target (a class name or index, or 'regression').
 */
export async function faithfulnessOf(model: ModelProto, x: NdArray, targets: readonly (string | number)[], methods: readonly string[], o: { threads?: number; curveSteps?: number } = {}): Promise<FaithfulnessTable> {
  const threads = o.threads !== undefined ? { threads: o.threads } : {};
  const em = new ExplainModel(model, threads);
  try {
    const { n, leads } = em.checkBatch(x);
    const index = targets.map((t) => (typeof t === 'number' ? t : em.resolveTarget(t as Target, 1, { data: new Float32Array(em.width), shape: [1, em.width] }).index[0]!));
    const steps = o.curveSteps ?? 20;
    const rows: FaithfulnessRow[] = [];
    for (const m of methods) {
      const ex = await createExplainer(m, model, threads);
      try {
        const a = await ex.explain({ x }, { target: index, seed: 0 });
        const del = await deletionCurve(em, x, a.values, index, 'deletion', { steps });
        const ins = await deletionCurve(em, x, a.values, index, 'insertion', { steps });
        rows.push({ method: m, deletion: del.meanAuc, insertion: ins.meanAuc });
      } finally {
        await ex.release?.();
      }
    }
    const r = await randomBaseline(em, x, index, leads, { steps, seed: 0 });
    return {
      ecgs: n, curveSteps: steps, rows,
      random: { method: 'random (reference)', deletion: r.deletion.meanAuc, insertion: r.insertion.meanAuc },
      wholeDeletion: await wholeDeletion(em, x, index),
    };
  } finally {
    await em.release();
  }
}
