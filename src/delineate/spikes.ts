/**
 * Pacemaker spikes (and other one- or two-sample impulses) are removed before
 * delineation: at 500 Hz a pacing artefact is a 2-4 ms needle that the
 * wavelet transform would take for the start of the QRS (LUDB's
 * cardiologists place the QRS onset after it). A needle is a run of at most
 * 4 ms whose samples stand out from the straight line joining its two
 * neighbours by >= 0.1 mV, with flanks at least 4x flatter than the needle
 * and the neighbours at about the same level (an R wave has steep flanks, a
 * step has unequal levels). Needles are replaced by that straight line.
 * Below 200 Hz a spike no longer shows as a needle and nothing is done.
 */
export function removeSpikes(x: Float64Array, fs: number): { cleaned: Float64Array; spikes: number[] } {
  const spikes: number[] = [];
  if (fs < 200) return { cleaned: x, spikes };
  const maxWidth = Math.max(1, Math.round(0.004 * fs));
  const y = Float64Array.from(x);
  const n = y.length;
  for (let i = 2; i < n - maxWidth - 2; i++) {
    for (let w = 1; w <= maxWidth; w++) {
      const b0 = y[i - 1]!;
      const b1 = y[i + w]!;
      let a = 0;
      for (let k = 0; k < w; k++) a = Math.max(a, Math.abs(y[i + k]! - (b0 + b1) / 2));
      const flank = Math.max(Math.abs(y[i - 1]! - y[i - 2]!), Math.abs(y[i + w + 1]! - y[i + w]!));
      if (a > 0.1 && a > 4 * flank && Math.abs(b1 - b0) < 0.5 * a) {
        for (let k = 0; k < w; k++) y[i + k] = b0 + ((b1 - b0) * (k + 1)) / (w + 1);
        spikes.push(i);
        i += w;
        break;
      }
    }
  }
  return { cleaned: spikes.length > 0 ? y : x, spikes };
}
