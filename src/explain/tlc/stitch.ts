/**
 * One record's TLC explanation from the explanations of its model inputs
 * (windows of a windowed model, or one crop): each record sample takes the
 * cluster and entropy of the window whose centre is nearest (the most context
 * on both sides, models/inputs.ts nearestWindow). Samples no window covers
 * (outside a crop) get cluster -1 and entropy NaN and count in no proportion.
 * The stitched sequence lives at input resolution; its "block" fields repeat
 * the input-resolution values (resolution 1), since windows overlap.
 */
import { nearestWindow } from '../../models/inputs.js';
import { blockAgreement, clusterSegments, type ClusterSequence } from './assign.js';
import type { TlcExplanation, TlcGroupResult } from './fit.js';

export function stitchExplanations(parts: readonly TlcExplanation[], starts: readonly number[], nSamples: number): TlcExplanation {
  const first = parts[0]!;
  if (parts.length === 1 && starts[0] === 0 && first.nSamples === nSamples) return first;
  const L = first.nSamples, fs = first.fs;
  const owner = nearestWindow(starts, L, nSamples);
  const groups: TlcGroupResult[] = first.groups.map((g0, gi) => {
    const labels = new Int32Array(nSamples).fill(-1), entropy = new Float64Array(nSamples).fill(NaN);
    const counts = new Float64Array(g0.k);
    let covered = 0;
    for (let t = 0; t < nSamples; t++) {
      const w = owner[t]!;
      if (w < 0) continue;
      const seq = parts[w]!.groups[gi]!.sequence, j = t - starts[w]!;
      labels[t] = seq.labels[j]!;
      entropy[t] = seq.entropy[j]!;
      counts[labels[t]!]! += 1;
      covered++;
    }
    const proportions = counts.map((c) => (covered ? c / covered : 0));
    const sequence: ClusterSequence = {
      k: g0.k, fs, nSamples, blockLength: nSamples, blockLabels: labels, blockEntropy: entropy,
      blockGamma: { data: new Float64Array(0), n: 0, d: g0.k }, labels, entropy,
    };
    const segments = clusterSegments(labels, fs, entropy).filter((s) => s.cluster >= 0);
    return { name: g0.name, k: g0.k, resolution: 1, sequence, segments, proportions };
  });
  const coveredLabels = (g: TlcGroupResult): Int32Array => g.sequence.labels.filter((l) => l >= 0);
  const agreement = groups.length > 1 ? blockAgreement(groups.map(coveredLabels)) : null;
  return { fs, nSamples, groups, agreement };
}
