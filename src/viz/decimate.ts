/**
 * Polyline decimation for long records: a 10 s, 500 Hz lead drawn 1000 px wide
 * has 5 samples per pixel column, and all but the lowest and highest of each
 * column are hidden under the line anyway. Keeping the min and max of every
 * column (in time order) draws the same picture with at most 2 points per column.
 */

/**
 * Pixel column of x (px), for columns `col` px wide. The tolerance puts a
 * sample that lands on a column edge up to float rounding (x = 123.9999999)
 * in the column it belongs to, however x was computed.
 */
export function pixelColumn(x: number, col = 1): number {
  return Math.floor(x / col + 1e-6);
}

export interface TraceGeometry {
  /** x (px) of sample index 0 of `values`. */
  x0: number;
  /** px per sample (speed * pxPerMm / fs). */
  dx: number;
  /** y (px) of a value (mV). */
  y: (v: number) => number;
  /** Width of a pixel column, px (default 1). */
  columnPx?: number;
  /** Keep every sample (default false). */
  exact?: boolean;
}

/**
 * Points of `values[start..end)` as runs of flat [x, y, x, y, ...] coordinates.
 * A NaN sample ends a run (a gap in the line). When samples are denser than
 * 2 per column, each column keeps only its min and max sample, in time order,
 * at their exact positions; otherwise every sample is kept.
 */
export function tracePoints(values: ArrayLike<number>, start: number, end: number, g: TraceGeometry): number[][] {
  const runs: number[][] = [];
  const col = g.columnPx ?? 1;
  const dense = !g.exact && g.dx * 2 < col;
  let run: number[] = [];
  const push = (i: number): void => {
    run.push(g.x0 + i * g.dx, g.y(values[i]!));
  };
  const endRun = (): void => {
    if (run.length > 0) runs.push(run);
    run = [];
  };
  if (!dense) {
    for (let i = start; i < end; i++) {
      if (Number.isNaN(values[i]!)) endRun();
      else push(i);
    }
    endRun();
    return runs;
  }
  // Column of a sample: the pixel column its x falls in.
  let curCol = NaN, iMin = -1, iMax = -1;
  const flush = (): void => {
    if (iMin < 0) return;
    if (iMin === iMax) push(iMin);
    else if (iMin < iMax) { push(iMin); push(iMax); }
    else { push(iMax); push(iMin); }
    iMin = iMax = -1;
  };
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) {
      flush();
      endRun();
      curCol = NaN;
      continue;
    }
    const c = pixelColumn(g.x0 + i * g.dx, col);
    if (c !== curCol) {
      flush();
      curCol = c;
    }
    if (iMin < 0 || v < values[iMin]!) iMin = i;
    if (iMax < 0 || v > values[iMax]!) iMax = i;
  }
  flush();
  endRun();
  return runs;
}
