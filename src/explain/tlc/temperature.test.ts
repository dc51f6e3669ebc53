import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KMeans } from './kmeans.js';
import { gaussianBlobs } from './synthetic-points.js';
import { heldOutTemperature, mixtureLogLik } from './temperature.js';
import { fitGroup, resolveTlcOptions, FittedTlc } from './fit.js';
import { normalizedEntropy } from './soft.js';

// Four spherical blobs in 16 dimensions, sd 1.5, centres 8 apart on the axes: the k-means mixture's variance is 1.5^2.
const D = 16, SD = 1.5;
const CENTERS = Array.from({ length: 4 }, (_, c) => Array.from({ length: D }, (_, j) => (j === c ? 8 : 0)));

test('the held-out temperature recovers the blobs\' variance (tau = 2 sd^2) and maximises the held-out likelihood', () => {
  const fitPts = gaussianBlobs(CENTERS, SD, 400, 1).points;
  const held = gaussianBlobs(CENTERS, SD, 200, 2).points;
  const km = new KMeans({ k: 4, seed: 0 }).fit(fitPts);
  const t = heldOutTemperature(km, held);
  assert.ok(Math.abs(t.variance / SD ** 2 - 1) < 0.05, `variance ${t.variance} vs ${SD ** 2}`);
  assert.ok(Math.abs(t.tau - 2 * t.variance) < 1e-12);
  const d2 = km.sqDistances(held);
  for (const f of [0.5, 0.8, 0.95, 1.05, 1.25, 2]) assert.ok(mixtureLogLik(d2, D, t.variance) > mixtureLogLik(d2, D, f * t.variance), `l(s) > l(${f} s)`);
  // The inertia rule (mean squared distance to the nearest centre) is about D/2 times larger.
  assert.ok(Math.abs(km.temperature / t.tau / (D / 2) - 1) < 0.1, `inertia tau ${km.temperature} vs held-out ${t.tau}`);
});

test('under the held-out temperature a blob\'s own points are near one-hot and a point between two centres is split', () => {
  const pts = gaussianBlobs(CENTERS, SD, 400, 3).points;
  const km = new KMeans({ k: 4, seed: 0 }).fit(pts);
  const sharp = km.withTemperature(heldOutTemperature(km, gaussianBlobs(CENTERS, SD, 100, 4).points).tau);
  const own = normalizedEntropy(sharp.soft(gaussianBlobs(CENTERS, SD, 100, 5).points));
  const flat = normalizedEntropy(km.soft(gaussianBlobs(CENTERS, SD, 100, 5).points));
  const mean = (v: Float64Array): number => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(mean(own) < 0.05, `held-out rule: mean entropy ${mean(own)}`);
  assert.ok(mean(flat) > 0.2 && mean(flat) > 10 * mean(own), `inertia rule: mean entropy ${mean(flat)} (flatter than ${mean(own)})`);
  const mid = { data: Float64Array.from({ length: D }, (_, j) => (j < 2 ? 4 : 0)), n: 1, d: D };
  const g = sharp.soft(mid).data;
  const top = [...g].sort((a, b) => b - a);
  assert.ok(top[0]! > 0.3 && top[1]! > 0.3, `gamma between centres 0 and 1: ${[...g].map((v) => v.toFixed(3))}`);
});

test('fitGroup holds out a fifth of the sample under the default rule; inertia and numbers are kept; old files read as inertia', () => {
  const { points } = gaussianBlobs(CENTERS, SD, 250, 6);
  const o = resolveTlcOptions({ k: 4, seed: 2 });
  assert.equal(o.temperature, 'heldout');
  const g = fitGroup(o, points);
  assert.equal(g.temperature!.heldOut, 200);
  const km = g.clusterer.clusterer as { temperature: number };
  assert.equal(km.temperature, g.temperature!.tau);
  // The centres are fitted in the standardised space, where the blobs' variance is not 1.5^2; the inertia rule is still ~D/2 flatter.
  assert.ok(g.temperature!.inertiaTau / g.temperature!.tau > D / 4, `${g.temperature!.inertiaTau} vs ${g.temperature!.tau}`);
  assert.equal(fitGroup(resolveTlcOptions({ k: 4, temperature: 'inertia' }), points).temperature, undefined);
  const fixed = fitGroup(resolveTlcOptions({ k: 4, temperature: 0.25 }), points);
  assert.equal((fixed.clusterer.clusterer as { temperature: number }).temperature, 0.25);
  assert.throws(() => resolveTlcOptions({ temperature: -1 }), /--temperature/);
  assert.throws(() => resolveTlcOptions({ temperature: 'hot' as never }), /heldout, inertia or a number/);
  // A file written before the rule existed (temperature: null) reads as the inertia rule.
  const state = {
    kind: 'ecgx-tlc', version: 1, options: { ...o, temperature: null },
    model: { sha256: 'x', input: 'ecg', leads: 1, samples: 8, fs: 100, leadNames: null }, layers: [{ name: 'block1', channels: D, length: 4 }],
    clusterers: [g.clusterer.toJSON()], fit: { ecgs: 1, samples: [1000] }, versions: {},
  };
  assert.equal(FittedTlc.fromJSON(state).options.temperature, 'inertia');
  assert.equal(FittedTlc.fromJSON(JSON.parse(JSON.stringify({ ...state, options: o }))).options.temperature, 'heldout');
});
