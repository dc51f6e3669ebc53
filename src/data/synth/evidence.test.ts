import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ecg, EvidencePart, WaveInterval } from '../ecg.js';
import { leadSignal } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { evidenceDense, evidenceTimeShare, mapEvidence } from '../evidence.js';
import { openDataset, writePtbxl } from '../datasets/index.js';
import { Rng } from '../../util/rng.js';
import { addShortcut, synthesizeDatabase, synthesizeEcg, type Superclass } from './index.js';

/** The first ECG (seeds from `from`) of the class whose SCP codes include `code`, noise-free. */
function find(cls: Superclass, code: string, fs: number, from = 1): Ecg {
  for (let seed = from; seed < from + 400; seed++) {
    const e = synthesizeEcg({ fs, seed, classes: [cls], cohort: 'ideal', evidence: true });
    const disease = e.meta.labels!.filter((l) => !['SR', 'SBRAD', 'STACH', 'AFIB', 'PVC', 'STD_', 'LAO/LAE'].includes(l));
    if (disease.length === 1 && disease[0] === code) return e;
  }
  throw new Error(`no ${cls}/${code} ECG found`);
}

const MI_LEADS: Record<string, string[]> = {
  IMI: ['II', 'III', 'aVF'], ASMI: ['V1', 'V2', 'V3'], AMI: ['V2', 'V3', 'V4'],
  ALMI: ['V3', 'V4', 'V5', 'I', 'aVL'], ILMI: ['II', 'III', 'aVF', 'V5', 'V6'], LMI: ['I', 'aVL', 'V5', 'V6'],
};

/**
 * Where a part may lie: the fused ('*') waves of the ECG, with a 20 ms
 * tolerance; and the record's ends before its first and after its last
 * annotated wave, where beats cut by the record's edges are not annotated.
 */
function allowed(e: Ecg, part: EvidencePart): [number, number][] {
  const tol = Math.round(0.02 * e.fs);
  const fused = e.waves!['*']!;
  const of = (w: WaveInterval['wave']): WaveInterval[] => fused.filter((x) => x.wave === w);
  const ends: [number, number][] = [[0, Math.min(...fused.map((w) => w.onset)) - 1], [Math.max(...fused.map((w) => w.offset)) + 1, e.nSamples - 1]];
  if (part === 'QRS' || part === 'P' || part === 'T') return [...ends, ...of(part).map((w): [number, number] => [w.onset - tol, w.offset + tol])];
  // ST: from a QRS onset to the end of the T after it (or from the record's start to a T whose QRS was cut off).
  const firstQrs = Math.min(...of('QRS').map((q) => q.onset));
  const cut = of('T').filter((t) => t.offset < firstQrs).map((t): [number, number] => [0, t.offset + tol]);
  if (part === 'ST') return [...ends, ...cut, ...of('QRS').map((q): [number, number] => [q.onset, (of('T').find((t) => t.onset > q.offset)?.offset ?? q.offset + e.fs) + tol])];
  return [[0, e.nSamples - 1]];
}

for (const fs of [100, 500]) {
  test(`evidence @${fs} Hz: every interval lies inside the wave its part names, per lead; NORM has none`, () => {
    const cases: [Superclass, string][] = [['MI', 'IMI'], ['MI', 'ASMI'], ['MI', 'LMI'], ['STTC', 'NDT'], ['STTC', 'ISC_'], ['CD', 'CLBBB'], ['CD', 'CRBBB'], ['CD', 'LAFB'], ['HYP', 'LVH']];
    for (const [cls, code] of cases) {
      const e = find(cls, code, fs);
      const m = e.evidence?.[cls];
      assert.ok(m, `${code}: a ${cls} mask`);
      assert.deepEqual(Object.keys(e.evidence!), [cls], `${code}: only its own label has evidence`);
      assert.ok(m.codes.includes(code));
      const expectParts: Record<Superclass, EvidencePart[]> = { MI: ['QRS', 'ST', 'T'], STTC: ['ST', 'T'], CD: ['QRS'], HYP: ['QRS', 'ST', 'T', 'P'], NORM: [] };
      for (const [lead, list] of Object.entries(m.leads)) {
        assert.ok(STANDARD_LEADS.includes(lead as never), lead);
        for (const iv of list) {
          assert.ok(expectParts[cls].includes(iv.part), `${code} ${lead}: part ${iv.part} is not one ${cls} plants`);
          const ok = allowed(e, iv.part).some(([a, b]) => iv.onset >= a && iv.offset <= b);
          assert.ok(ok, `${code} ${lead}: ${iv.part} evidence [${iv.onset}, ${iv.offset}] outside every ${iv.part} window`);
        }
      }
      const dense = evidenceDense(m, e.leads, e.nSamples);
      const share = evidenceTimeShare(dense);
      assert.ok(share > 0.01 && share < 0.6, `${code}: time share ${share}`);
    }
    const norm = synthesizeEcg({ fs, seed: 5, classes: ['NORM'], cohort: 'ideal', evidence: true });
    assert.deepEqual(norm.evidence, {});
  });

  test(`evidence @${fs} Hz: MI covers the QRS and ST of its territory's leads, beat by beat`, () => {
    for (const code of ['IMI', 'ASMI', 'LMI', 'ALMI']) {
      const e = find('MI', code, fs);
      const m = e.evidence!['MI']!;
      for (const lead of MI_LEADS[code]!) {
        const parts = new Set((m.leads[lead] ?? []).map((iv) => iv.part));
        assert.ok(parts.has('QRS') && parts.has('ST'), `${code}: lead ${lead} has ${[...parts].join(',') || 'no'} evidence`);
        // Every conducted beat's QRS in a territory lead is covered.
        const qrs = e.waves!['*']!.filter((w) => w.wave === 'QRS');
        const hit = qrs.filter((q) => m.leads[lead]!.some((iv) => iv.part === 'QRS' && iv.offset >= q.onset && iv.onset <= q.offset)).length;
        assert.ok(hit >= qrs.length - 1, `${code} ${lead}: ${hit} of ${qrs.length} QRS complexes covered`);
      }
      // A lead the injury current hardly projects on carries less evidence than the territory's leads.
      const mass = (lead: string): number => (m.leads[lead] ?? []).reduce((s, iv) => s + iv.offset - iv.onset + 1, 0);
      const inside = Math.min(...MI_LEADS[code]!.map(mass));
      assert.ok(STANDARD_LEADS.some((l) => mass(l) < inside), `${code}: some lead has less evidence than the territory`);
    }
  });

  test(`evidence @${fs} Hz: 1AVB marks the PR interval (P onset to QRS onset) in every lead`, () => {
    const e = find('CD', '1AVB', fs);
    const m = e.evidence!['CD']!;
    const fused = e.waves!['*']!;
    const qrs = fused.filter((w) => w.wave === 'QRS');
    for (const lead of STANDARD_LEADS) {
      const list = m.leads[lead]!;
      assert.ok(list.every((iv) => iv.part === 'PR'));
      for (const iv of list) {
        const p = fused.find((w) => w.wave === 'P' && w.onset === iv.onset);
        const q = qrs.find((w) => w.onset === iv.offset + 1);
        assert.ok(p && q && p.offset < q.onset, `${lead}: [${iv.onset}, ${iv.offset}] is not a P onset .. QRS onset`);
      }
      assert.ok(list.length >= qrs.length - 1, `${lead}: ${list.length} PR intervals for ${qrs.length} beats`);
    }
  });
}

test('evidence: the same ECG at 100 and 500 Hz has the same masks in time (IoU >= 0.8), and asking for them changes no sample', () => {
  for (const [cls, seed] of [['MI', 11], ['STTC', 12], ['CD', 13], ['HYP', 14]] as [Superclass, number][]) {
    const lo = synthesizeEcg({ fs: 100, seed, classes: [cls], cohort: 'ideal', evidence: true });
    const hi = synthesizeEcg({ fs: 500, seed, classes: [cls], cohort: 'ideal', evidence: true });
    const a = evidenceDense(lo.evidence![cls]!, lo.leads, lo.nSamples);
    const b = evidenceDense(mapEvidence(hi.evidence!, (s) => s / 5, lo.nSamples)[cls]!, lo.leads, lo.nSamples);
    let both = 0, either = 0;
    for (let k = 0; k < a.length; k++) {
      both += a[k]! & b[k]!;
      either += a[k]! | b[k]!;
    }
    assert.ok(both / either >= 0.8, `${cls}: IoU ${(both / either).toFixed(3)}`);
    const plain = synthesizeEcg({ fs: 100, seed, classes: [cls], cohort: 'ptbxl' });
    const withEv = synthesizeEcg({ fs: 100, seed, classes: [cls], cohort: 'ptbxl', evidence: true });
    assert.deepEqual(withEv.signal, plain.signal);
    assert.equal(plain.evidence, undefined);
  }
});

test('evidence: written beside PTB-XL records and read back unchanged; the shortcut trap goes only into its class', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-evidence-'));
  try {
    const opts = { n: 40, seed: 4, layout: 'ptbxl' as const, fs: 100, evidence: true, shortcut: { label: 'CD' as const, fraction: 0.5 } };
    const src = [...synthesizeDatabase(opts)];
    await writePtbxl(join(dir, 'db'), src, { fs: 100 });
    const ds = await openDataset(join(dir, 'db'));
    let trapped = 0;
    for (const e of src) {
      const back = await ds.load(e.meta.recordId);
      assert.deepEqual(back.evidence, e.evidence, `record ${e.meta.recordId}`);
      const sc = e.evidence!['shortcut'];
      if (!sc) continue;
      trapped++;
      assert.ok(String(e.meta.extra!['superclasses']).split(',').includes('CD'));
      // The spikes keep the limb leads consistent and sit where the mask says.
      const [I, II, III] = ['I', 'II', 'III'].map((l) => leadSignal(e, l));
      for (let t = 0; t < e.nSamples; t++) assert.ok(Math.abs(III![t]! - (II![t]! - I![t]!)) < 1e-5);
      for (const iv of sc.leads['II']!) assert.ok(Math.abs(II![iv.onset]!) > 0.5, `a spike at ${iv.onset}`);
    }
    const cd = src.filter((e) => String(e.meta.extra!['superclasses']).split(',').includes('CD')).length;
    assert.ok(trapped > 0 && trapped < cd, `${trapped} of ${cd} CD ECGs trapped`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shortcut: the offset kind moves V2 alone by its amplitude', () => {
  const e = synthesizeEcg({ fs: 100, seed: 3, cohort: 'ideal' });
  const before = Float32Array.from(e.signal);
  const m = addShortcut(e, { label: 'CD', fraction: 1, kind: 'offset', amplitudeMv: 0.4 }, new Rng(1));
  assert.deepEqual(Object.keys(m.leads), ['V2']);
  const v2 = e.leads.indexOf('V2');
  for (let k = 0; k < e.signal.length; k++) {
    const d = e.signal[k]! - before[k]!;
    assert.ok(Math.abs(d - (Math.floor(k / e.nSamples) === v2 ? 0.4 : 0)) < 1e-6);
  }
});
