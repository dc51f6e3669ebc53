// Delineation figures that are not in-sample: LUDB's 200 records split in two
// seeded halves (the 15 atrial fibrillation records spread over both); the
// delineator's thresholds are tuned on one half by coordinate search and the
// result is scored on the other half, then the halves swap. Every record is
// scored once by thresholds tuned without it (2-fold cross-validation); the
// table sets these figures beside the default thresholds (tuned on all 200
// records: in-sample) on the same records.
//
// Objective on the tuning half (fused points, 150 ms tolerance): the mean over
// the 9 points of 100 x (Se + PPV) / 2 - 0.2 x (SD + |mean error|) in ms.
// Search: each threshold in turn tries 0.75x and 1.33x its value (pCoherence
// +-0.08), keeping a change that raises the objective; two passes.
//
// Run: npm run build && node dist/bench/delineation-split.js [--seed S] [--passes N] [--json]
import { DEFAULT_TUNING, DelineationScorer, ecgDelineate, openDataset, WAVE_POINTS, type DelineationTuning, type Ecg, type PointScore } from '../src/index.js';
import { Rng } from '../src/util/rng.js';
import { LUDB_DIR } from '../test/data-paths.js';

type Tuning = Partial<DelineationTuning>;
const TUNED = ['qrsSignificant', 'qrsOn', 'qrsOff', 'tOn', 'tOff', 'pOn', 'pOff', 'tMin', 'pMin', 'pCoherence', 'pPrSpreadMs'] as const;

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const seed = opt('--seed', 1), passes = opt('--passes', 2);

interface Rec {
  ecg: Ecg;
  reference: Record<string, NonNullable<Ecg['waves']>[string]>;
  af: boolean;
}

function score(recs: readonly Rec[], tuning: Tuning, scorer = new DelineationScorer(150)): DelineationScorer {
  for (const r of recs) scorer.add(r.reference, ecgDelineate(r.ecg, { tuning }).waves, r.ecg.fs);
  return scorer;
}

function objective(s: DelineationScorer): number {
  const row = s.result().byLead['*']!;
  let v = 0;
  for (const p of WAVE_POINTS) {
    const x = row[p];
    v += 100 * ((x.se || 0) + (x.ppv || 0)) / 2 - 0.2 * ((Number.isFinite(x.sdErrorMs) ? x.sdErrorMs : 100) + Math.abs(Number.isFinite(x.meanErrorMs) ? x.meanErrorMs : 100));
  }
  return v / WAVE_POINTS.length;
}

function tune(recs: readonly Rec[], log: (s: string) => void): { tuning: Tuning; objective: number } {
  let best: Tuning = {};
  let bestV = objective(score(recs, best));
  log(`  defaults: objective ${bestV.toFixed(3)}`);
  for (let pass = 0; pass < passes; pass++) {
    let changed = false;
    for (const k of TUNED) {
      const cur = (best[k] ?? DEFAULT_TUNING[k]) as number;
      const tries = k === 'pCoherence' ? [cur - 0.08, cur + 0.08] : [cur * 0.75, cur * 1.33];
      for (const v of tries) {
        const t = { ...best, [k]: Number(v.toPrecision(4)) };
        const o = objective(score(recs, t));
        if (o > bestV + 1e-9) {
          best = t;
          bestV = o;
          changed = true;
          log(`  pass ${pass + 1}: ${k} = ${t[k]} -> objective ${o.toFixed(3)}`);
        }
      }
    }
    if (!changed) break;
  }
  return { tuning: best, objective: bestV };
}

const pct = (x: number): string => (Number.isNaN(x) ? '-' : (100 * x).toFixed(1));
const err = (s: PointScore): string => `${s.meanErrorMs.toFixed(1)} ± ${s.sdErrorMs.toFixed(1)}`;

async function main(): Promise<void> {
  const ds = await openDataset(LUDB_DIR);
  const recs: Rec[] = [];
  for await (const ecg of ds.iterate(ds.records().map((r) => r.id))) {
    const reference = Object.fromEntries(Object.entries(ecg.waves ?? {}).filter(([k]) => k !== '*'));
    recs.push({ ecg, reference, af: (ecg.meta.labels ?? []).includes('Atrial fibrillation') });
  }
  // Seeded halves, stratified by atrial fibrillation.
  const rng = new Rng(seed);
  const shuffle = <T>(a: T[]): T[] => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  const halves: Rec[][] = [[], []];
  for (const group of [recs.filter((r) => r.af), recs.filter((r) => !r.af)]) shuffle([...group]).forEach((r, i) => halves[i % 2]!.push(r));
  const log = (s: string): void => void process.stderr.write(s + '\n');
  const cv = new DelineationScorer(150), inSample = new DelineationScorer(150), tunedIn = new DelineationScorer(150);
  const tunings: Tuning[] = [];
  for (const h of [0, 1]) {
    log(`tuning on half ${h + 1} (${halves[h]!.length} records, ${halves[h]!.filter((r) => r.af).length} AF):`);
    const t = tune(halves[h]!, log);
    tunings.push(t.tuning);
    score(halves[1 - h]!, t.tuning, cv);
    score(halves[h]!, t.tuning, tunedIn);
  }
  score(recs, {}, inSample);
  const rows = WAVE_POINTS.map((p) => ({ point: p, defaults: inSample.result().byLead['*']![p], tunedOnOwnHalf: tunedIn.result().byLead['*']![p], heldOut: cv.result().byLead['*']![p] }));
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ seed, passes, halves: halves.map((h) => h.map((r) => r.ecg.meta.recordId)), tunings, rows }) + '\n');
    return;
  }
  console.log(`LUDB split-half delineation (seed ${seed}; halves of ${halves[0]!.length} and ${halves[1]!.length} records), fused points, 150 ms tolerance`);
  console.log(`tuned on half 1: ${JSON.stringify(tunings[0])}`);
  console.log(`tuned on half 2: ${JSON.stringify(tunings[1])}`);
  console.log('| point | defaults, all 200 (in-sample) Se / PPV / error ms | tuned on one half, scored on it | tuned on the other half (held out) |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.point.replace('_', ' ')} | ${pct(r.defaults.se)} / ${pct(r.defaults.ppv)} / ${err(r.defaults)} | ${pct(r.tunedOnOwnHalf.se)} / ${pct(r.tunedOnOwnHalf.ppv)} / ${err(r.tunedOnOwnHalf)} | ${pct(r.heldOut.se)} / ${pct(r.heldOut.ppv)} / ${err(r.heldOut)} |`);
}

await main();
