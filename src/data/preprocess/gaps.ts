/**
 * Missing samples (NaN, or any non-finite value) in a lead. A single NaN would
 * spread through a filter's whole impulse response (an IIR filter: the rest of
 * the lead), so the Ecg-level operations bridge each gap by linear
 * interpolation between its two neighbours (a leading/trailing gap holds the
 * nearest valid value), process the bridged lead, and put NaN back where the
 * input was missing. A lead with no valid sample stays all NaN.
 */

export interface BridgedLead {
  /** The lead with every gap bridged (float64). */
  filled: Float64Array;
  /** 1 where the input was missing; null when nothing was missing. */
  missing: Uint8Array | null;
  /** True when no sample of the lead was valid. */
  empty: boolean;
}

export function bridgeGaps(x: ArrayLike<number>): BridgedLead {
  const n = x.length;
  const filled = new Float64Array(n);
  let missing: Uint8Array | null = null;
  let last = -1; // index of the previous valid sample
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) {
      filled[i] = v;
      if (missing && last < i - 1) {
        // Gap (last, i): interpolate, or hold v for a leading gap.
        const v0 = last >= 0 ? filled[last]! : v;
        for (let g = last + 1; g < i; g++) filled[g] = last >= 0 ? v0 + ((v - v0) * (g - last)) / (i - last) : v;
      }
      last = i;
    } else {
      missing ??= new Uint8Array(n);
      missing[i] = 1;
    }
  }
  if (last < 0) return { filled: new Float64Array(n), missing: n > 0 ? new Uint8Array(n).fill(1) : null, empty: n > 0 };
  for (let g = last + 1; g < n; g++) filled[g] = filled[last]!; // trailing gap
  return { filled, missing, empty: false };
}

/** Sets NaN where `missing` is 1 (same length), in place. */
export function restoreGaps(y: Float32Array, missing: Uint8Array | null): Float32Array {
  if (missing) for (let i = 0; i < y.length; i++) if (missing[i]) y[i] = NaN;
  return y;
}
