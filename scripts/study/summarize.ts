/**
 * The tables and figures of the real-data study (scripts/study/ptbxl.sh) from
 * what its steps wrote: OUT/results.md and OUT/figures/*.svg. Sections whose
 * inputs are missing say so, so a partial study can be summarised.
 *
 * Usage: node dist/scripts/study/summarize.js OUT
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  clusterPrototypesSpec, renderVegaSvg, writeFileAtomic, meanStd,
  type TlcEvaluation, type RunRecord, type LabelQualityRun, type GroupWaveReport,
} from '../../src/index.js';

type Stat = { mean: number; std: number; n: number };
const OUT = resolve(process.argv[2] ?? 'runs/study');
const lines: string[] = [];
const say = (...l: string[]): void => void lines.push(...l);

function read<T>(rel: string): T | undefined {
  const p = join(OUT, rel);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
const f = (v: number | undefined | null, d = 3): string => (v === undefined || v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
const ms = (m: Stat | undefined, d = 3, scale = 1): string => (m && Number.isFinite(m.mean) ? (m.n > 1 ? `${(scale * m.mean).toFixed(d)} ± ${(scale * m.std).toFixed(d)}` : (scale * m.mean).toFixed(d)) : 'n/a');
const over = (xs: number[]): Stat => meanStd(xs);
const missing = (what: string): void => say(`(not run yet: ${what})`, '');
const cmd = (name: string): string => {
  const c = existsSync(join(OUT, 'commands.sh')) ? readFileSync(join(OUT, 'commands.sh'), 'utf8').split('\n') : [];
  // A step run again (its .done marker removed) appends its command: the last one made the outputs.
  const i = c.lastIndexOf(`# ${name}`);
  return i >= 0 ? c[i + 1]!.replace(/node dist\/src\/cli\/main\.js/g, 'ecgx') : '';
};

// Timings.
const timings = new Map<string, { s: number; load: string }>();
if (existsSync(join(OUT, 'timings.tsv'))) {
  for (const row of readFileSync(join(OUT, 'timings.tsv'), 'utf8').trim().split('\n')) {
    const [name, s, ...load] = row.split('\t');
    if (name) timings.set(name, { s: Number(s), load: load.join(' ') });
  }
}
const mins = (s: number): string => `${(s / 60).toFixed(1)} min`;

say('# Real-data study: PTB-XL (ecg_id 1-5999, 100 Hz) with PhysioNet/CinC 2020 labels', '');
say(`Written by \`node dist/scripts/study/summarize.js ${process.argv[2] ?? 'runs/study'}\` from the outputs of \`scripts/study/ptbxl.sh\`; the command of each step is in commands.sh.`, '');

// 1. CNN.
const cls = read<RunRecord>('cls/run.json');
say('## 1. The CNN', '');
if (!cls) missing('cls');
else {
  const s = cls.summary;
  const secs = cls.folds.length ? timings.get('cls')?.s : undefined;
  say(`${cls.task.records} ECGs, ${cls.task.classes.length} classes (the Challenge's with >= ${cls.config.minPositives} positives; left out: ${Object.entries(cls.task.excludedClasses ?? {}).map(([c, n]) => `${c} ${n}`).join(', ')}), ${cls.folds.length} folds (${(cls.notes ?? []).join('; ')}). Model \`${cls.config.model}\`, ${cls.config.epochs} epochs, batch ${cls.config.batchSize ?? cls.folds[0]?.batchSize}, lr ${cls.config.lr ?? cls.folds[0]?.lr}.${secs ? ` Training took ${mins(secs)}.` : ''}`, '');
  say(`Command: \`${cmd('cls')}\``, '');
  say('| class | positives | test AUROC, mean ± std over folds |', '|---|---|---|');
  // Positives per class over the test folds (every ECG is in one test fold).
  const pos = new Map<string, number>();
  for (const fo of cls.folds) {
    const p = join(OUT, 'cls', `fold-${fo.fold}`, 'predictions.csv');
    if (!existsSync(p)) continue;
    const [head, ...rows] = readFileSync(p, 'utf8').trim().split('\n').map((r) => r.split(','));
    for (const c of cls.task.classes) {
      const j = head!.indexOf(`target:${c}`);
      pos.set(c, (pos.get(c) ?? 0) + rows.filter((r) => Number(r[j]) > 0.5).length);
    }
  }
  for (const c of cls.task.classes) say(`| ${c} | ${pos.get(c) ?? ''} | ${ms(s[`auroc:${c}`])} |`);
  say(`| **macro** | | **${ms(s['auroc'])}** |`, '');
  say(`Fmax ${ms(s['fmax'])}; accuracy per ECG and class at 0.5 ${ms(s['accuracy'])}; macro F1 at 0.5 ${ms(s['f1'])}.`, '');
}

// 2. TLC surrogate.
const tlc = read<TlcEvaluation>('tlc-k8/evaluation.json');
say('## 2. TLC on the last three residual blocks (K = 8, held-out temperature)', '');
if (!tlc) missing('tlc-k8');
else {
  const S = tlc.surrogate;
  say(`Command: \`${cmd('tlc-k8')}\` (${tlc.folds.length} folds; TLC and forests fitted on each fold's training ECGs, scored on its test fold).`, '');
  say('| figure | ecgx (mean ± std over folds) | baseline: always the most frequent label | paper (PTB-XL, 5 superclasses) |', '|---|---|---|---|');
  say(`| surrogate fidelity, per ECG and class | ${ms(S.fidelity, 1)} % | ${ms(S.majority?.fidelity, 1)} % | 94.9 ± 0.5 % |`);
  say(`| surrogate fidelity, exact match (all ${tlc.classes.length} classes) | ${ms(S.exactMatch, 1)} % | ${ms(S.majority?.exactMatch, 1)} % | - |`);
  say(`| Cohen's κ forest vs CNN, macro over classes | ${ms(S.kappa)} | 0 | - |`);
  say(`| accuracy on the true labels (per ECG and class, at 0.5): forest vs CNN | ${ms(S.forest['accuracy'], 1, 100)} vs ${ms(S.cnn['accuracy'], 1, 100)} % | | 88.2 vs 88.4 % |`);
  say(`| macro AUROC on the true labels: forest vs CNN | ${ms(S.forest['auroc'], 1, 100)} vs ${ms(S.cnn['auroc'], 1, 100)} % | 50 % | 79.6 vs 81.4 % |`, '');
  if (S.perClass) {
    say('| class | fidelity % | κ | forest AUROC | CNN AUROC |', '|---|---|---|---|---|');
    for (const [c, v] of Object.entries(S.perClass)) say(`| ${c} | ${ms(v.fidelity, 1)} | ${ms(v.kappa)} | ${ms(S.forest[`auroc:${c}`])} | ${ms(S.cnn[`auroc:${c}`])} |`);
    say('', 'κ is n/a for a class when neither the forest nor the CNN labels any test ECG positive in any fold (agreement is then trivially 100%).', '');
  }
}

// 3. Robustness.
say('## 3. Robustness across K and across training-set fractions (folds 1-3)', '');
{
  const rows: [string, string][] = [['K = 4', 'tlc-k4'], ['K = 8', 'tlc-k8'], ['K = 12', 'tlc-k12'], ['K = 8, 10% of the training ECGs', 'tlc-frac-0.1'], ['K = 8, 25%', 'tlc-frac-0.25'], ['K = 8, 50%', 'tlc-frac-0.5']];
  say('| setting | training ECGs per fold | fidelity % | exact match % | κ | forest AUROC | CNN AUROC |', '|---|---|---|---|---|---|---|');
  let any = false;
  for (const [label, dir] of rows) {
    const ev = read<TlcEvaluation>(`${dir}/evaluation.json`);
    if (!ev) continue;
    any = true;
    const fs = ev.folds.filter((x) => [1, 2, 3].includes(x.surrogate.fold));
    const g = (pick: (s: TlcEvaluation['folds'][number]['surrogate']) => number | undefined): Stat => over(fs.map((x) => pick(x.surrogate) ?? NaN));
    say(`| ${label} | ${Math.round(fs.reduce((a, x) => a + x.nTrainUsed, 0) / fs.length)} | ${ms(g((s) => s.fidelity), 1)} | ${ms(g((s) => s.exactMatch), 1)} | ${ms(g((s) => s.kappa))} | ${ms(g((s) => s.forest['auroc']))} | ${ms(g((s) => s.cnn['auroc']))} |`);
  }
  say('');
  if (!any) missing('tlc-k4, tlc-k12, tlc-frac-*');
  else say(`Commands: \`${cmd('tlc-k4')}\`, and \`--k 12\`, \`--train-fraction 0.1|0.25|0.5\` likewise.`, '');
}

// 4. Waves.
say('## 4. Clusters vs waves', '');
if (tlc?.waves) {
  say('PTB-XL test ECGs, waves from ecgx\'s delineator on the model input (mean ± std over folds); the null shifts each ECG\'s waves by half a beat:', '');
  say('| block | NMI | null NMI | purity | null purity | best QRS-cluster purity | entropy on wave boundaries | inside waves |', '|---|---|---|---|---|---|---|---|');
  for (const w of tlc.waves) say(`| ${w.name} | ${ms(w.nmi)} | ${ms(w.nullNmi)} | ${ms(w.purity)} | ${ms(w.nullPurity)} | ${ms(w.qrsPurity)} | ${ms(w.entropyBoundary)} | ${ms(w.entropyInside)} |`);
  say('');
  const fw = tlc.folds[0]!.waves!;
  say(`Fold ${tlc.folds[0]!.surrogate.fold}, dominant wave of each cluster (share of its samples):`, '');
  for (const w of fw) say(`- ${w.name}: ${w.dominantWave.map((d, c) => (d === null ? `c${c} -` : `c${c} ${d} ${f(w.clusterWaveFraction[c]![w.classes.indexOf(d)]!, 2)}`)).join(', ')}`);
  say('');
} else missing('tlc-k8 waves');
const ludb = read<{ ecgs: number; groups: GroupWaveReport[] }>('ludb-align.json');
if (ludb) {
  say(`LUDB (${ludb.ecgs} ECGs, cardiologists' waves; fold 1's model and TLC, LUDB resampled to 100 Hz by the model card). Command: \`${cmd('ludb')}\``, '');
  say('| block | NMI | null NMI | purity | null purity | best QRS-cluster purity | entropy on boundaries | inside |', '|---|---|---|---|---|---|---|---|');
  for (const g of ludb.groups) {
    const qrs = g.dominantWave.reduce((b, d, c) => (d === 'QRS' ? Math.max(b, g.clusterWaveFraction[c]![g.classes.indexOf('QRS')]!) : b), 0);
    say(`| ${g.name} | ${f(g.nmi)} | ${f(g.null.nmi)} | ${f(g.purity)} | ${f(g.null.purity)} | ${f(qrs)} | ${f(g.entropyBoundary)} | ${f(g.entropyInside)} |`);
  }
  say('');
} else missing('ludb');

// 5. Entropy.
say('## 5. Entropy', '');
const inert = read<TlcEvaluation>('tlc-k8-inertia/evaluation.json');
if (tlc) {
  const temps = tlc.folds.map((x) => x.temperature).filter((t) => t !== null);
  if (temps.length) {
    say('Temperature per block, mean over folds: held-out rule (the k-means mixture\'s variance that maximises the likelihood of a held-out fifth of the sampled vectors) vs the inertia rule used before:', '');
    say('| block | held-out τ | inertia τ | ratio | held-out log-likelihood per vector |', '|---|---|---|---|---|');
    tlc.groups.forEach((g, gi) => {
      const a = over(temps.map((t) => t![gi]!.tau)), b = over(temps.map((t) => t![gi]!.inertiaTau)), l = over(temps.map((t) => t![gi]!.logLik));
      say(`| ${g} | ${ms(a, 2)} | ${ms(b, 1)} | ${f(b.mean / a.mean, 1)} | ${ms(l, 1)} |`);
    });
    say('');
  }
  say('Distribution of the per-timestamp entropy (test ECGs):', '');
  say('| block, rule | mean | median | share > 0.5 |', '|---|---|---|---|');
  for (const e of tlc.entropy) say(`| ${e.name}, held-out | ${ms(e.mean)} | ${ms(e.median)} | ${ms(e.above05)} |`);
  if (inert) for (const e of inert.entropy) say(`| ${e.name}, inertia (folds 1-3) | ${ms(e.mean)} | ${ms(e.median)} | ${ms(e.above05)} |`);
  say('', 'What it separates (held-out rule; AUROC of the entropy as a score, 0.5 = no separation):', '');
  say('| block | wave boundaries vs inside (mean entropy) | injected noise (0.1 mV, 40-60% of the ECG): stretch clean → noisy, AUROC | clusters changed in the noisy stretch | wrong vs right ECGs: mean, AUROC |', '|---|---|---|---|---|');
  tlc.entropy.forEach((e, gi) => {
    const w = tlc.waves?.[gi];
    const n = e.noise;
    say(`| ${e.name} | ${w ? `${f(w.entropyBoundary.mean)} vs ${f(w.entropyInside.mean)}` : 'n/a'} | ${n ? `${f(n.insideClean.mean)} → ${f(n.insideNoisy.mean)}, ${ms(n.auroc)}` : 'n/a'} | ${n ? ms(n.changed) : 'n/a'} | ${f(e.meanWrong.mean)} vs ${f(e.meanRight.mean)}, ${ms(e.wrongAuroc)} |`);
  });
  say('');
  const ge = read<{ folds: number[]; summary: Record<string, { positives: number; tlcEntropy: Record<string, Stat>; gradcamDispersion: Stat; gradcamStability: Stat }> }>('gradcam-entropy.json');
  const classes = Object.keys(tlc.entropy[0]!.classAuroc);
  say('Per class: AUROC of the per-ECG mean entropy for the label (all folds), and, on folds 1-3, of Grad-CAM\'s summaries of the map for that class (dispersion over time; stability under small noise):', '');
  say(`| class | ${tlc.groups.map((g) => `TLC ${g}`).join(' | ')} | Grad-CAM dispersion | Grad-CAM stability |`, '|---|' + tlc.groups.map(() => '---|').join('') + '---|---|');
  for (const c of classes) {
    const g = ge?.summary[c];
    say(`| ${c} | ${tlc.entropy.map((e) => ms(e.classAuroc[c], 2)).join(' | ')} | ${g ? ms(g.gradcamDispersion, 2) : 'n/a'} | ${g ? ms(g.gradcamStability, 2) : 'n/a'} |`);
  }
  say('');
  if (ge) {
    const far = (m: Stat): number => Math.abs(m.mean - 0.5);
    const tlcFar = classes.filter((c) => tlc.entropy.some((e) => far(e.classAuroc[c]!) >= 0.15)).length;
    const camFar = classes.filter((c) => ge.summary[c] && (far(ge.summary[c]!.gradcamDispersion) >= 0.15 || far(ge.summary[c]!.gradcamStability) >= 0.15)).length;
    say(`Classes with an AUROC at least 0.15 from 0.5: TLC entropy (any block) ${tlcFar} of ${classes.length}; Grad-CAM (either summary) ${camFar} of ${classes.length}. Command: \`${cmd('gradcam-entropy')}\``, '');
  } else missing('gradcam-entropy');
} else missing('tlc-k8');

// 6. Enrichment and prototypes.
say('## 6. Clusters enriched per class, and prototypes', '');
if (tlc) {
  say('Mean over folds of (mean cluster proportion in test ECGs with the label − without), the three clusters that rise most, in points of proportion:', '');
  for (const [c, v] of Object.entries(tlc.enrichment)) say(`- ${c} (${v.nPositive} test ECGs over folds): ${v.top.map((t) => `${t.cluster} ${t.diff.mean >= 0 ? '+' : ''}${(100 * t.diff.mean).toFixed(1)} ± ${(100 * t.diff.std).toFixed(1)}`).join(', ')}`);
  say('');
}

// 7. Label quality.
say('## 7. Label quality', '');
{
  const rows: string[] = [];
  for (const kind of ['train', 'test'] as const) {
    const per = [1, 2, 3].map((fo) => read<LabelQualityRun>(`lq-${kind}-${fo}.json`)).filter((x): x is LabelQualityRun => !!x && !!x.flip);
    if (!per.length) continue;
    const g = (pick: (r: LabelQualityRun) => number): Stat => over(per.map(pick));
    const dir = (d: string): string => ms(over(per.map((r) => r.flip!.byDirection[d]?.recallAtK ?? NaN)), 1, 100);
    rows.push(`| ${kind === 'train' ? 'training ECGs (cross-fitted forests; the CNN saw their true labels)' : 'test ECGs (forests on the training ECGs; the CNN never saw them)'} | ${Math.round(g((r) => r.ecgs).mean)} | ${Math.round(g((r) => r.flip!.flipped).mean)} | ${ms(g((r) => r.flip!.recallAtK), 1, 100)} % | ${ms(g((r) => r.flip!.recallAt2K), 1, 100)} % | ${ms(g((r) => r.flip!.randomAtK), 2, 100)} % | ${dir('0 -> 1')} / ${dir('1 -> 0')} % |`);
  }
  if (rows.length) {
    say('One class flipped in a seeded 5% of the audited ECGs (folds 1-3, mean ± std); recall = share of the flipped labels in the top k of the ranking (k = number of flips):', '');
    say('| audited | ECGs | flipped | recall@k | recall@2k | random ranking @k | recall@k, flips 0→1 / 1→0 |', '|---|---|---|---|---|---|---|', ...rows, '');
    say(`Commands: \`${cmd('lq-train-1')}\`, \`${cmd('lq-test-1')}\``, '');
  } else missing('lq-*');
}

// 8. Explainers.
say('## 8. The attribution methods on the real model', '');
{
  type Metrics = { records: string[]; methods: { method: string; deletion: { meanAuc: number }; insertion: { meanAuc: number }; waves?: { massShare: Record<string, number>; timeShare: Record<string, number>; enrichment: Record<string, number> } }[]; correlation: { methods: string[]; matrix: number[][] }; randomization?: { method: string; stages: { layer: string; mean: number }[] }[] };
  const ex = [1, 2, 3].map((fo) => read<Metrics>(`explain-${fo}/metrics.json`)).filter((x): x is Metrics => !!x);
  const rnd = [1, 2, 3].map((fo) => read<Metrics>(`random-${fo}/metrics.json`)).filter((x): x is Metrics => !!x);
  if (ex.length) {
    const methods = ex[0]!.methods.map((m) => m.method);
    const get = (m: string, pick: (x: Metrics['methods'][number]) => number): Stat => over(ex.map((e) => pick(e.methods.find((y) => y.method === m)!)));
    say(`${ex.reduce((a, e) => a + e.records.length, 0)} test ECGs (the first ${ex[0]!.records.length} of each of folds ${ex.length === 3 ? '1-3' : ex.length}), target: the predicted class. Command: \`${cmd('explain-1')}\``, '');
    say('| method | deletion AUC (lower better) | insertion AUC (higher better) | mass share P / QRS / T / other | enrichment (mass / time) P / QRS / T |', '|---|---|---|---|---|');
    for (const m of methods) {
      const w = (k: string, which: 'massShare' | 'enrichment'): string => f(get(m, (x) => x.waves?.[which][k] ?? NaN).mean, 2);
      say(`| ${m} | ${ms(get(m, (x) => x.deletion.meanAuc))} | ${ms(get(m, (x) => x.insertion.meanAuc))} | ${['P', 'QRS', 'T', 'other'].map((k) => w(k, 'massShare')).join(' / ')} | ${['P', 'QRS', 'T'].map((k) => w(k, 'enrichment')).join(' / ')} |`);
    }
    const t0 = ex[0]!.methods[0]!.waves?.timeShare;
    if (t0) say('', `Time share of the waves (delineator): P ${f(t0['P'], 2)}, QRS ${f(t0['QRS'], 2)}, T ${f(t0['T'], 2)}, other ${f(t0['other'], 2)}.`);
    say('', 'Rank agreement (Spearman of |attribution|, mean over ECGs and folds):', '', '| | ' + methods.join(' | ') + ' |', '|---|' + methods.map(() => '---|').join(''));
    methods.forEach((a, i) => say(`| ${a} | ${methods.map((_, j) => f(over(ex.map((e) => e.correlation.matrix[i]![j]!)).mean, 2)).join(' | ')} |`));
    say('');
  } else missing('explain-*');
  if (rnd.length && rnd[0]!.randomization) {
    const r0 = rnd[0]!.randomization!;
    say('Cascading randomisation (Adebayo et al. 2018): Spearman correlation with the trained model\'s map as layers are re-drawn from the output down (mean over folds; a method that depends on the weights falls towards 0):', '');
    say('| randomised down to | ' + r0.map((r) => r.method).join(' | ') + ' |', '|---|' + r0.map(() => '---|').join(''));
    const depth = Math.max(...r0.map((r) => r.stages.length));
    for (let s = 0; s < depth; s++) say(`| ${r0[0]!.stages[s]?.layer ?? s + 1} | ${r0.map((r) => f(over(rnd.map((x) => x.randomization!.find((y) => y.method === r.method)!.stages[s]?.mean ?? NaN)).mean, 2)).join(' | ')} |`);
    say('', `Command: \`${cmd('random-1')}\``, '');
  } else missing('random-*');
  const classes = ['LBBB', 'CRBBB', 'TAb', 'TInv', 'IAVB', 'AF'];
  const byClass = classes.map((c) => ({ c, runs: [1, 2, 3].map((fo) => read<Metrics>(`wave-${c}-${fo}/metrics.json`)).filter((x): x is Metrics => !!x) })).filter((x) => x.runs.length);
  if (byClass.length) {
    const methods = byClass[0]!.runs[0]!.methods.map((m) => m.method);
    say('Attribution mass per wave for the class\'s own output, on test ECGs with the label (up to 8 per fold, folds 1-3): mass share / time share (enrichment) of P, QRS and T, pooled over ECGs:', '');
    say('| class (ECGs) | ' + methods.join(' | ') + ' |', '|---|' + methods.map(() => '---|').join(''));
    for (const { c, runs } of byClass) {
      const n = runs.reduce((a, r) => a + r.records.length, 0);
      const cell = (m: string): string => ['P', 'QRS', 'T'].map((k) => {
        const v = runs.map((r) => ({ w: r.records.length, e: r.methods.find((y) => y.method === m)?.waves?.enrichment[k] ?? NaN }));
        const tot = v.reduce((a, x) => a + (Number.isFinite(x.e) ? x.w : 0), 0);
        return `${k} ${f(v.reduce((a, x) => a + (Number.isFinite(x.e) ? x.w * x.e : 0), 0) / tot, 2)}`;
      }).join(', ');
      say(`| ${c} (${n}) | ${methods.map(cell).join(' | ')} |`);
    }
    say('', 'Enrichment = share of |attribution| in the wave / share of time the wave takes (1 = no preference).', '');
  } else missing('wave-*');
}

// 9. Age.
say('## 9. Age regression', '');
const age = read<RunRecord>('age/run.json');
const tlcAge = read<TlcEvaluation>('tlc-age/evaluation.json');
if (age) {
  const s = age.summary;
  say(`Same architecture, ${age.folds.length} folds, ${age.config.epochs} epochs, ${age.task.records} ECGs. Command: \`${cmd('age')}\``, '');
  say('| figure | CNN | mean-age baseline |', '|---|---|---|');
  say(`| MAE, years | ${ms(s['mae'], 2)} | ${ms(s['mae_baseline'], 2)} |`);
  say(`| R² | ${ms(s['r2'])} | 0 (by construction, ≈) |`);
  say(`| Pearson r | ${ms(s['pearson'])} | - |`, '');
} else missing('age');
if (tlcAge) {
  const S = tlcAge.surrogate;
  say(`TLC regression surrogate (forest on cluster proportions). Command: \`${cmd('tlc-age')}\``, '');
  say('| figure | value |', '|---|---|');
  say(`| R² of the forest against the CNN's predictions | ${ms({ ...S.fidelity, mean: S.fidelity.mean / 100, std: S.fidelity.std / 100 })} |`);
  say(`| MAE against the true age: forest vs CNN | ${ms(S.forest['mae'], 2)} vs ${ms(S.cnn['mae'], 2)} years |`);
  say(`| R² against the true age: forest vs CNN | ${ms(S.forest['r2'])} vs ${ms(S.cnn['r2'])} |`, '');
  say('Clusters whose proportion rises most with the age quarter (quarters of the training ages):', '');
  for (const [band, v] of Object.entries(tlcAge.enrichment)) say(`- age ${band} (${v.nPositive} test ECGs over folds): ${v.top.map((t) => `${t.cluster} ${t.diff.mean >= 0 ? '+' : ''}${(100 * t.diff.mean).toFixed(1)} ± ${(100 * t.diff.std).toFixed(1)}`).join(', ')}`);
  say('');
} else missing('tlc-age');

// 10. Timings.
say('## 10. Time', '');
if (timings.size) {
  say('| step | wall time | load average at the end (1/5/15 min) |', '|---|---|---|');
  let total = 0;
  for (const [name, t] of timings) {
    total += t.s;
    say(`| ${name} | ${mins(t.s)} | ${t.load} |`);
  }
  say(`| **total** | **${mins(total)}** | |`, '');
}

async function figures(): Promise<void> {
  if (!tlc) return;
  mkdirSync(join(OUT, 'figures'), { recursive: true });
  const fold = tlc.folds[0]!;
  for (const [gi, g] of fold.prototypes.entries()) {
    const lead = 1; // lead II
    const rows = g.clusters.flatMap((c) => (c.n > 0 ? c.mean[lead]!.map((v, i) => ({ cluster: c.cluster, t: (i - g.half) / g.fs, mean: v, sd: 0, n: c.n })) : []));
    const names = fold.waves?.[gi]?.dominantWave.map((d) => d ?? '-');
    const svg = await renderVegaSvg(clusterPrototypesSpec(rows, tlc.options.k, { group: `${g.name}, fold ${fold.surrogate.fold} test ECGs`, lead: 'II', ...(names ? { names } : {}) }));
    writeFileAtomic(join(OUT, 'figures', `prototypes-${g.name}.svg`), svg);
  }
  // Entropy distributions under both rules.
  const values: { block: string; rule: string; bin: number; share: number }[] = [];
  for (const [rule, ev] of [['held-out', tlc], ['inertia', inert]] as const) {
    if (!ev) continue;
    for (const e of ev.entropy) e.histogram.forEach((share, b) => values.push({ block: e.name, rule, bin: b / e.histogram.length, share }));
  }
  const spec = {
    title: 'TLC entropy per timestamp, test ECGs: held-out vs inertia temperature',
    data: { values },
    facet: { column: { field: 'block', type: 'nominal', title: null } },
    spec: {
      width: 180, height: 120,
      mark: { type: 'line', point: true, interpolate: 'step-after' },
      encoding: {
        x: { field: 'bin', type: 'quantitative', title: 'normalised entropy', scale: { domain: [0, 1] } },
        y: { field: 'share', type: 'quantitative', title: 'share of timestamps', scale: { type: 'sqrt' } },
        color: { field: 'rule', type: 'nominal', title: 'temperature', scale: { range: ['#0072B2', '#E69F00'] } },
      },
    },
  };
  writeFileAtomic(join(OUT, 'figures', 'entropy-distribution.svg'), await renderVegaSvg(spec as never));
}

await figures();
writeFileAtomic(join(OUT, 'results.md'), lines.join('\n') + '\n');
process.stdout.write(`${join(OUT, 'results.md')}${existsSync(join(OUT, 'figures')) ? `, figures in ${join(OUT, 'figures')} (${readdirSync(join(OUT, 'figures')).join(', ')})` : ''}\n`);
