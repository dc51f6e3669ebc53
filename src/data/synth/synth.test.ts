import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leadSignal, type Ecg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { Rng } from '../../util/rng.js';
import { OptionError } from '../../util/errors.js';
import { synthesizeEcg, synthesizePatient, measureEcg, drawSuperclasses, resolveCohort, PTBXL_PREVALENCE, SUPERCLASSES, type Superclass } from './index.js';

const bytes = (e: Ecg): Buffer => Buffer.from(e.signal.buffer, e.signal.byteOffset, e.signal.byteLength);

test('synth: the same seed gives bit-identical records, another seed a different one', () => {
  const a = synthesizeEcg({ fs: 250, seed: 7 });
  const b = synthesizeEcg({ fs: 250, seed: 7 });
  const c = synthesizeEcg({ fs: 250, seed: 8 });
  assert.equal(Buffer.compare(bytes(a), bytes(b)), 0);
  assert.deepEqual(a.waves, b.waves);
  assert.deepEqual(a.meta, b.meta);
  assert.notEqual(Buffer.compare(bytes(a), bytes(c)), 0);
  assert.equal(a.nSamples, 2500);
  assert.deepEqual(a.leads, [...STANDARD_LEADS]);
});

test('synth: limb leads obey Einthoven and Goldberger to float precision, noise included', () => {
  for (const cohort of ['ptbxl', 'code15', 'ambulatory']) {
    const e = synthesizeEcg({ fs: 500, seed: 3, cohort });
    const [I, II, III, aVR, aVL, aVF] = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF'].map((l) => leadSignal(e, l));
    let worst = 0;
    for (let t = 0; t < e.nSamples; t++) {
      const i = I![t]!, ii = II![t]!;
      worst = Math.max(worst, Math.abs(III![t]! - (ii - i)), Math.abs(aVR![t]! + (i + ii) / 2), Math.abs(aVL![t]! - (i - ii / 2)), Math.abs(aVF![t]! - (ii - i / 2)));
    }
    assert.ok(worst < 1e-5, `${cohort}: worst identity error ${worst} mV`);
  }
});

test('synth: amplitudes and intervals lie in physiological ranges (noise-free, 40 records)', () => {
  for (let s = 0; s < 40; s++) {
    const e = synthesizeEcg({ fs: 250, seed: 100 + s, cohort: 'ideal' });
    const f = measureEcg(e);
    const rMax = Math.max(...STANDARD_LEADS.map((l) => Math.max(f.leads[l]!.rMv, f.leads[l]!.sMv)));
    const tMax = Math.max(...STANDARD_LEADS.map((l) => Math.abs(f.leads[l]!.tMv)));
    const ii = leadSignal(e, 'II');
    const pII = e.waves!['II']!.filter((w) => w.wave === 'P').map((w) => Math.abs(ii[w.peak!]!));
    const label = `seed ${100 + s} ${e.meta.extra!['superclasses']}`;
    assert.ok(rMax >= 0.5 && rMax <= 5.5, `${label}: largest QRS deflection ${rMax} mV`);
    assert.ok(tMax >= 0.1 && tMax <= 1.2, `${label}: largest T ${tMax} mV`);
    if (pII.length) assert.ok(Math.max(...pII) >= 0.04 && Math.max(...pII) <= 0.35, `${label}: P in II ${Math.max(...pII)} mV`);
    assert.ok(f.qrsMs >= 60 && f.qrsMs <= 180, `${label}: QRS ${f.qrsMs} ms`);
    assert.ok(f.prMs >= 100 && f.prMs <= 340, `${label}: PR ${f.prMs} ms`);
    assert.ok(f.qtMs >= 280 && f.qtMs <= 560, `${label}: QT ${f.qtMs} ms`);
  }
});

test('synth: the measured heart rate follows the requested rate', () => {
  for (const hr of [45, 72, 120, 160]) {
    const e = synthesizeEcg({ fs: 250, seed: hr, cohort: 'ideal', heartRateBpm: hr, classes: ['NORM'], durationS: 20 });
    const f = measureEcg(e);
    assert.ok(Math.abs(f.hrBpm - hr) / hr < 0.08, `asked ${hr} bpm, measured ${f.hrBpm}`);
    assert.equal(e.meta.labels!.at(-1), hr < 60 ? 'SBRAD' : hr > 100 ? 'STACH' : 'SR');
  }
  assert.throws(() => synthesizeEcg({ fs: 250, seed: 1, heartRateBpm: 300 }), OptionError);
  assert.throws(() => synthesizeEcg({ fs: 0, seed: 1 }), OptionError);
  assert.throws(() => synthesizeEcg({ fs: 250, seed: 1, classes: ['NORM', 'MI'] }), OptionError);
  assert.throws(() => synthesizeEcg({ fs: 250, seed: 1, cohort: 'nowhere' }), /unknown cohort 'nowhere'/);
  assert.throws(() => synthesizeEcg({ fs: 250, seed: 1, classes: ['NORM'], afib: true }), /afib: a NORM/);
});

test('synth: every ground-truth peak is the largest deflection inside its wave, and waves are ordered', () => {
  for (const fs of [100, 500]) {
    for (let s = 0; s < 6; s++) {
      const e = synthesizeEcg({ fs, seed: 40 + s, cohort: 'ideal' });
      const star = e.waves!['*']!;
      assert.ok(star.filter((w) => w.wave === 'QRS').length >= 6);
      for (const lead of STANDARD_LEADS) {
        const x = leadSignal(e, lead);
        const ws = e.waves![lead]!;
        assert.equal(ws.length, star.length);
        ws.forEach((w, k) => {
          assert.ok(w.onset <= w.peak! && w.peak! <= w.offset && w.onset >= 0 && w.offset < e.nSamples);
          let max = 0;
          for (let t = w.onset; t <= w.offset; t++) max = Math.max(max, Math.abs(x[t]!));
          assert.ok(Math.abs(x[w.peak!]!) >= max - 1e-6, `${lead} ${w.wave}@${w.peak}: |x| ${Math.abs(x[w.peak!]!)} < window max ${max}`);
          const g = star[k]!;
          assert.equal(g.wave, w.wave);
          assert.ok(g.onset <= w.onset && g.offset >= w.offset, 'the global interval spans every lead');
        });
      }
      // P -> QRS -> T in each beat, no overlap between one beat's waves.
      for (let k = 1; k < star.length; k++) assert.ok(star[k]!.onset >= star[k - 1]!.onset);
      for (let k = 0; k + 2 < star.length; k++) {
        if (star[k]!.wave === 'P' && star[k + 1]!.wave === 'QRS' && star[k + 2]!.wave === 'T') {
          assert.ok(star[k]!.offset < star[k + 1]!.onset && star[k + 1]!.offset < star[k + 2]!.onset);
        }
      }
    }
  }
});

test('synth: a patient keeps their morphology across ECGs; different patients differ', () => {
  const cohort = resolveCohort('ideal');
  const axes: number[][] = [];
  for (let p = 0; p < 6; p++) {
    const patient = synthesizePatient({ seed: 500 + p, cohort, classes: ['NORM'] });
    axes.push([0, 1, 2].map((v) => measureEcg(synthesizeEcg({ fs: 250, seed: 1000 * p + v, patient, cohort })).axisDeg));
  }
  const within = Math.max(...axes.map((a) => Math.max(...a) - Math.min(...a)));
  const means = axes.map((a) => a.reduce((s, v) => s + v, 0) / a.length);
  const between = Math.max(...means) - Math.min(...means);
  assert.ok(within < 15, `axis spread within a patient ${within} deg`);
  assert.ok(between > 2 * within, `axis spread between patients ${between} deg vs within ${within}`);
});

test('synth: superclass draws match PTB-XL prevalences; NORM excludes the others', () => {
  const rng = new Rng(11);
  const counts: Record<string, number> = {};
  const N = 4000;
  for (let i = 0; i < N; i++) {
    const c = drawSuperclasses(rng, PTBXL_PREVALENCE);
    assert.ok(c.length >= 1 && (!c.includes('NORM') || c.length === 1));
    for (const k of c) counts[k] = (counts[k] ?? 0) + 1;
  }
  for (const k of SUPERCLASSES) assert.ok(Math.abs(counts[k]! / N - PTBXL_PREVALENCE[k]) < 0.03, `${k}: ${counts[k]! / N} vs ${PTBXL_PREVALENCE[k]}`);
});

test('synth: cohorts differ by device: 50 Hz mains in ptbxl, 60 Hz in code15 (noise = cohort record - ideal record)', () => {
  const patient = synthesizePatient({ seed: 9, cohort: resolveCohort('ideal'), classes: ['NORM'] });
  const clean = synthesizeEcg({ fs: 500, seed: 5, patient, cohort: 'ideal' });
  const power = (x: Float32Array, y: Float32Array, hz: number): number => {
    let re = 0, im = 0;
    for (let t = 0; t < x.length; t++) {
      const d = x[t]! - y[t]!, a = (2 * Math.PI * hz * t) / 500;
      re += d * Math.cos(a);
      im += d * Math.sin(a);
    }
    return Math.hypot(re, im) / x.length;
  };
  const cases: [string, number, number][] = [['ptbxl', 50, 60], ['code15', 60, 50]];
  for (const [name, mains, other] of cases) {
    const spec = { ...resolveCohort(name), gain: 1, highpassHz: null, lowpassHz: null, hrShiftBpm: 0, placementDeg: 0 };
    spec.noise = { ...spec.noise, baselineMv: 0, emgMv: 0, powerlineMv: 0.05 };
    const noisy = synthesizeEcg({ fs: 500, seed: 5, patient, cohort: spec });
    let best = 0;
    for (const lead of ['I', 'II', 'V1', 'V2']) {
      const x = leadSignal(noisy, lead), y = leadSignal(clean, lead);
      const pm = power(x, y, mains), po = power(x, y, other);
      assert.ok(pm > 20 * po, `${name} ${lead}: |X(${mains} Hz)| ${pm} vs |X(${other} Hz)| ${po}`);
      best = Math.max(best, pm);
    }
    assert.ok(best > 0.004, `${name}: mains amplitude ${best} mV`);
  }
});

/** Mean of `key` over leads. */
function leadMean(f: ReturnType<typeof measureEcg>, leads: readonly string[], key: 'stMv' | 'qDepthMv' | 'tMv'): number {
  return leads.reduce((s, l) => s + f.leads[l]![key], 0) / leads.length;
}

test('synth: class effects measured on noise-free records', () => {
  const territories: Record<string, string[]> = {
    IMI: ['II', 'III', 'aVF'], ILMI: ['II', 'III', 'aVF'], ASMI: ['V1', 'V2', 'V3'], AMI: ['V2', 'V3', 'V4'], ALMI: ['V3', 'V4', 'V5'], LMI: ['I', 'aVL', 'V5', 'V6'],
  };
  const byClass = (c: Superclass, k: number): ReturnType<typeof measureEcg>[] & { codes?: string[][] } => {
    const out: ReturnType<typeof measureEcg>[] & { codes?: string[][] } = [];
    out.codes = [];
    for (let s = 0; s < k; s++) {
      const e = synthesizeEcg({ fs: 250, seed: 7000 + 100 * SUPERCLASSES.indexOf(c) + s, classes: [c], cohort: 'ideal' });
      assert.equal(e.meta.extra!['superclasses'], c);
      out.push(measureEcg(e));
      out.codes.push(e.meta.labels!);
    }
    return out;
  };
  const mi = byClass('MI', 12);
  mi.forEach((f, i) => {
    const code = mi.codes![i]![0]!;
    const leads = territories[code]!;
    assert.ok(leadMean(f, leads, 'qDepthMv') >= 0.1, `${code}: mean Q depth ${leadMean(f, leads, 'qDepthMv')} mV in ${leads}`);
    assert.ok(leadMean(f, leads, 'stMv') >= 0.1, `${code}: mean ST elevation ${leadMean(f, leads, 'stMv')} mV in ${leads}`);
  });
  for (const f of byClass('HYP', 8)) assert.ok(f.sokolowLyonMv > 3.5, `LVH: Sokolow-Lyon ${f.sokolowLyonMv} mV`);
  const cd = byClass('CD', 16);
  cd.forEach((f, i) => {
    const codes = cd.codes![i]!;
    if (codes.includes('CLBBB') || codes.includes('CRBBB')) assert.ok(f.qrsMs >= 120, `${codes}: QRS ${f.qrsMs} ms`);
    if (codes.includes('IVCD') || codes.includes('IRBBB')) assert.ok(f.qrsMs >= 110, `${codes}: QRS ${f.qrsMs} ms`);
    if (codes.includes('1AVB')) assert.ok(f.prMs > 200, `${codes}: PR ${f.prMs} ms`);
    if (codes.includes('LAFB')) assert.ok(f.axisDeg < -30, `${codes}: axis ${f.axisDeg} deg`);
  });
  const sttcLeads = ['I', 'II', 'aVF', 'V3', 'V4', 'V5', 'V6'];
  for (const f of byClass('STTC', 12)) {
    const stDep = sttcLeads.filter((l) => f.leads[l]!.stMv <= -0.05).length;
    const tInv = sttcLeads.filter((l) => f.leads[l]!.tMv <= -0.1).length;
    assert.ok(stDep >= 2 || tInv >= 2, `STTC: ${stDep} leads with ST depression, ${tInv} with inverted T`);
  }
  for (const f of byClass('NORM', 16)) {
    assert.ok(f.qrsMs < 110 && f.prMs <= 200 && f.axisDeg >= -30 && f.sokolowLyonMv <= 3.5, `NORM: QRS ${f.qrsMs} PR ${f.prMs} axis ${f.axisDeg} SL ${f.sokolowLyonMv}`);
    for (const l of STANDARD_LEADS) assert.ok(f.leads[l]!.stMv > -0.05 && f.leads[l]!.stMv < 0.1, `NORM ${l}: ST ${f.leads[l]!.stMv}`);
    for (const l of ['I', 'II', 'V4', 'V5', 'V6']) assert.ok(f.leads[l]!.tMv > 0, `NORM ${l}: T ${f.leads[l]!.tMv}`);
    for (const leads of [['II', 'III', 'aVF'], ['V1', 'V2', 'V3', 'V4'], ['I', 'aVL', 'V5', 'V6']]) {
      assert.ok(leads.filter((l) => f.leads[l]!.qDepthMv >= 0.1 && f.leads[l]!.qDurMs >= 30).length < 2, `NORM: Q waves in ${leads}`);
    }
  }
});

function pearson(x: number[], y: number[]): number {
  const mx = x.reduce((s, v) => s + v, 0) / x.length, my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

test('synth: age shows in the ECG: axis turns left, PR lengthens, voltage falls (100 normal records)', () => {
  const ages: number[] = [], axis: number[] = [], pr: number[] = [], volt: number[] = [];
  for (let s = 0; s < 100; s++) {
    const age = 18 + ((s * 37) % 78);
    const f = measureEcg(synthesizeEcg({ fs: 100, seed: 9000 + s, age, classes: ['NORM'], cohort: 'ideal' }));
    ages.push(age);
    axis.push(f.axisDeg);
    pr.push(f.prMs);
    volt.push(STANDARD_LEADS.reduce((m, l) => m + f.leads[l]!.rMv + f.leads[l]!.sMv, 0));
  }
  const r = { axis: pearson(ages, axis), pr: pearson(ages, pr), volt: pearson(ages, volt) };
  assert.ok(r.axis < -0.35, `age-axis r = ${r.axis}`);
  assert.ok(r.pr > 0.3, `age-PR r = ${r.pr}`);
  assert.ok(r.volt < -0.3, `age-voltage r = ${r.volt}`);
  // ...but not deterministically: individual scatter remains.
  assert.ok(r.axis > -0.95 && r.pr < 0.95 && r.volt > -0.95, JSON.stringify(r));
});

test('synth: atrial fibrillation has no P waves, irregular RR and 4-9 Hz f waves in V1', () => {
  for (const seed of [31, 32]) {
    const af = synthesizeEcg({ fs: 250, seed, afib: true, classes: ['CD'], cohort: 'ideal', durationS: 20 });
    const sr = synthesizeEcg({ fs: 250, seed, afib: false, classes: ['CD'], cohort: 'ideal', durationS: 20 });
    assert.equal(af.meta.labels!.at(-1), 'AFIB');
    assert.notEqual(sr.meta.labels!.at(-1), 'AFIB');
    const star = (e: Ecg) => e.waves!['*']!;
    assert.equal(star(af).filter((w) => w.wave === 'P').length, 0);
    assert.ok(star(sr).filter((w) => w.wave === 'P').length >= 10);
    const cv = (e: Ecg): number => {
      const r = star(e).filter((w) => w.wave === 'QRS').map((w) => w.peak!);
      const rr = r.slice(1).map((v, i) => v - r[i]!);
      const m = rr.reduce((s, v) => s + v, 0) / rr.length;
      return Math.sqrt(rr.reduce((s, v) => s + (v - m) ** 2, 0) / rr.length) / m;
    };
    assert.ok(cv(af) > 0.1 && cv(sr) < 0.1, `RR coefficient of variation: AF ${cv(af)}, sinus ${cv(sr)}`);
    // Between T offset and the next QRS onset, V1 oscillates: zero crossings give the f-wave rate.
    const v1 = leadSignal(af, 'V1');
    const w = star(af);
    let crossings = 0, seconds = 0;
    for (let k = 0; k + 1 < w.length; k++) {
      if (w[k]!.wave !== 'T' || w[k + 1]!.wave !== 'QRS') continue;
      const a = w[k]!.offset + 1, b = w[k + 1]!.onset - 1;
      for (let t = a + 1; t <= b; t++) if (Math.sign(v1[t]!) !== Math.sign(v1[t - 1]!)) crossings++;
      seconds += (b - a) / af.fs;
    }
    const hz = crossings / seconds / 2;
    assert.ok(seconds > 1 && hz >= 3.5 && hz <= 10, `f-wave rate ${hz} Hz over ${seconds} s`);
  }
});

test('synth: premature ventricular complexes come early, wide, without P, before a compensatory pause', () => {
  const cohort = { ...resolveCohort('ideal'), pvcFraction: 1 };
  for (const seed of [61, 62, 63]) {
    const e = synthesizeEcg({ fs: 250, seed, cohort, classes: ['NORM'] });
    assert.ok(e.meta.labels!.includes('PVC'));
    const star = e.waves!['*']!;
    const qrs = star.map((w, k) => ({ w, k })).filter(({ w }) => w.wave === 'QRS');
    let found = 0;
    for (let j = 1; j + 1 < qrs.length; j++) {
      const { w, k } = qrs[j]!;
      const hasP = star[k - 1]!.wave === 'P';
      const widthMs = ((w.offset - w.onset) / e.fs) * 1000;
      if (hasP) {
        assert.ok(widthMs < 110, `sinus QRS ${widthMs} ms`);
        continue;
      }
      found++;
      assert.ok(widthMs >= 120, `PVC QRS ${widthMs} ms`);
      const before = w.peak! - qrs[j - 1]!.w.peak!, after = qrs[j + 1]!.w.peak! - w.peak!;
      assert.ok(before < 0.8 * after, `coupling ${before} vs pause ${after} samples`);
    }
    assert.ok(found >= 1 && found <= 3, `${found} PVCs`);
    // The median beat is still normal.
    const f = measureEcg(e);
    assert.ok(f.qrsMs < 110 && f.prMs > 100, `median QRS ${f.qrsMs} PR ${f.prMs}`);
  }
});
