import { test } from 'node:test';
import assert from 'node:assert/strict';
import { synthesizeEcg } from '../../data/synth/index.js';
import { beatSummary, phaseLabels, BEAT_PHASES } from './beats.js';
import { renderBeatPanelSvg } from '../../viz/beats.js';

test('beat summary: the median beat keeps the beats\' shape and anchors; maps of a phase land on that phase', () => {
  for (const fs of [100, 500]) {
    const e = synthesizeEcg({ fs, seed: 9, classes: ['NORM'], cohort: 'ideal', heartRateBpm: 70 });
    const n = e.nSamples, fused = e.waves!['*']!;
    const phases = phaseLabels(fused, n);
    // A map that is 1 on QRS samples of lead V5 only, and a time-only map that is 1 on T samples.
    const qrsV5 = new Float32Array(12 * n), tAll = new Float32Array(n);
    const v5 = e.leads.indexOf('V5');
    for (let t = 0; t < n; t++) {
      if (phases[t] === 'QRS') qrsV5[v5 * n + t] = 1;
      if (phases[t] === 'T') tAll[t] = 1;
    }
    const s = beatSummary([{ ecg: e, maps: [{ name: 'qrs-v5', values: qrsV5, rows: 12 }, { name: 't', values: tAll, rows: 1 }] }]);
    assert.ok(s.beats >= 9, `${fs} Hz: ${s.beats} beats`);
    const a = s.anchors;
    assert.ok(a.pOn! < a.qrsOn && a.qrsOn < s.r && s.r < a.qrsOff && a.qrsOff < a.tOff!, JSON.stringify(a));
    // The R peak of the median beat is the largest deflection of lead II within its QRS.
    const ii = e.leads.indexOf('II'), L = s.length;
    let best = a.qrsOn, top = -Infinity;
    for (let u = Math.round(a.qrsOn); u <= Math.round(a.qrsOff); u++) if (s.median[ii * L + u]! > top) (top = s.median[ii * L + u]!), (best = u);
    assert.ok(Math.abs(best - s.r) <= Math.max(1, 0.004 * fs), `${fs} Hz: R at ${best}, template R at ${s.r}`);
    // Shares: all of 'qrs-v5' in (V5, QRS), all of 't' in (all, T).
    const q = s.shares.find((x) => x.name === 'qrs-v5')!;
    assert.ok(Math.abs(q.phase['V5']!.QRS - 1) < 1e-9);
    assert.equal(BEAT_PHASES.reduce((acc, p) => acc + q.rows.reduce((b, r) => b + q.phase[r]![p], 0), 0).toFixed(9), '1.000000000');
    assert.ok(Math.abs(s.shares.find((x) => x.name === 't')!.phase['all']!.T - 1) < 1e-9);
    // The averaged QRS map is high inside the template QRS of V5, zero in other leads and in the T.
    const mq = s.maps.find((m) => m.name === 'qrs-v5')!.mean;
    assert.ok(mq[v5 * L + s.r]! > 0.5 && mq[ii * L + s.r] === 0 && mq[v5 * L + Math.round(a.tOff!) - 2] === 0);
    const svg = renderBeatPanelSvg(s, { map: 't' });
    assert.match(svg, /median beats: \d+ beats, one per column/);
  }
});

test('beat summary: several ECGs pool their beats on one template; a record without QRS is an error', () => {
  const es = [1, 2, 3].map((seed) => synthesizeEcg({ fs: 100, seed, classes: ['NORM'], cohort: 'ideal' }));
  const s = beatSummary(es.map((ecg) => ({ ecg })));
  assert.equal(s.ecgs, 3);
  assert.ok(s.beats >= 25);
  const flat = { ...es[0]!, signal: new Float32Array(es[0]!.signal.length), waves: { '*': [] } };
  assert.throws(() => beatSummary([{ ecg: flat, waves: [] }]), /no QRS complex/);
});
