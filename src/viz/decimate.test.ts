import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pixelColumn, tracePoints } from './decimate.js';

const y = (v: number): number => 100 - 40 * v;

test('sparse samples are all kept, at their exact positions', () => {
  const v = [0, 1, 0.5, -1];
  const runs = tracePoints(v, 0, 4, { x0: 10, dx: 3, y });
  assert.deepEqual(runs, [[10, 100, 13, 60, 16, 80, 19, 140]]);
});

test('NaN samples break the line into runs', () => {
  const v = [0, 1, NaN, NaN, 2, 3, NaN];
  const runs = tracePoints(v, 0, v.length, { x0: 0, dx: 2, y });
  assert.deepEqual(runs, [[0, 100, 2, 60], [8, 20, 10, -20]]);
  // Same with decimation on.
  const dense = tracePoints(v, 0, v.length, { x0: 0, dx: 0.1, y });
  assert.equal(dense.length, 2);
});

test('dense samples keep exactly the min and max of each pixel column, in time order (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 400 }),
      fc.integer({ min: 3, max: 20 }),
      fc.float({ min: 0, max: 50, noNaN: true }),
      (vals, perCol, x0) => {
        const dx = 1 / perCol;
        const runs = tracePoints(vals, 0, vals.length, { x0, dx, y });
        assert.equal(runs.length, 1);
        const pts = runs[0]!;
        // Group samples by pixel column; expected points: min and max (one if the same sample).
        const byCol = new Map<number, number[]>();
        vals.forEach((v, i) => {
          const c = pixelColumn(x0 + i * dx);
          if (!byCol.has(c)) byCol.set(c, []);
          byCol.get(c)!.push(i);
        });
        const expected: number[] = [];
        for (const idx of byCol.values()) {
          let iMin = idx[0]!, iMax = idx[0]!;
          for (const i of idx) {
            if (vals[i]! < vals[iMin]!) iMin = i;
            if (vals[i]! > vals[iMax]!) iMax = i;
          }
          for (const i of iMin === iMax ? [iMin] : [Math.min(iMin, iMax), Math.max(iMin, iMax)]) expected.push(x0 + i * dx, y(vals[i]!));
        }
        assert.deepEqual(pts, expected);
        // At most 2 points per column, x strictly increasing.
        assert.ok(pts.length / 2 <= 2 * byCol.size);
        for (let k = 2; k < pts.length; k += 2) assert.ok(pts[k]! > pts[k - 2]!);
      },
    ),
    { numRuns: 200, seed: 7 },
  );
});

test('decimation reduces a 10 s 500 Hz lead at 100 px/s to at most 2 points per pixel', () => {
  const fs = 500, n = 5000;
  const v = Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / fs) + 0.1 * Math.sin(i));
  const runs = tracePoints(v, 0, n, { x0: 0, dx: 100 / fs, y });
  const points = runs[0]!.length / 2;
  assert.ok(points <= 2 * 1000 && points >= 1000, `${points} points`);
  const exact = tracePoints(v, 0, n, { x0: 0, dx: 100 / fs, y, exact: true });
  assert.equal(exact[0]!.length / 2, n);
  // The drawn extremes are the signal's extremes.
  const ys = runs[0]!.filter((_, i) => i % 2 === 1);
  assert.equal(Math.min(...ys), y(Math.max(...v)));
  assert.equal(Math.max(...ys), y(Math.min(...v)));
});

test('a sub-range [start, end) draws only those samples', () => {
  const v = Array.from({ length: 20 }, (_, i) => i);
  const runs = tracePoints(v, 5, 8, { x0: 0, dx: 1, y: (a) => a });
  assert.deepEqual(runs, [[5, 5, 6, 6, 7, 7]]);
});
