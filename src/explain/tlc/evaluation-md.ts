/**
 * The Markdown report of a TLC run evaluation (evaluation.md of `ecgx tlc
 * evaluate`): surrogate per fold and mean ± std with its baselines, per-class
 * agreement, wave alignment, entropy and enrichment.
 */
import type { TemperatureFit } from './fit.js';
import type { TlcEvaluation } from './pipeline.js';

/** Markdown report of a run evaluation: surrogate per fold, mean ± std, agreement beside its baseline, wave alignment, entropy, enrichment. */
export function formatTlcEvaluation(ev: TlcEvaluation): string {
  const f2 = (v: number | undefined | null, d = 2): string => (v === undefined || v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
  const ms = (m: { mean: number; std: number; n: number } | undefined, d = 2): string => (m ? (m.n > 1 ? `${f2(m.mean, d)} ± ${f2(m.std, d)}` : f2(m.mean, d)) : 'n/a');
  const reg = ev.task === 'regression';
  const lines: string[] = [];
  const o = ev.options;
  const temp = typeof o.temperature === 'number' ? `temperature ${o.temperature}` : `temperature rule ${o.temperature}`;
  lines.push(`# TLC evaluation of ${ev.run}`, '');
  lines.push(`Task ${ev.task} (${ev.classes.join(', ')}); groups ${ev.groups.join(', ')}; K = ${o.k}, ${o.method}${o.concat ? ', concatenated' : ''}, ${temp}, seed ${o.seed}.`, '');
  const used = ev.folds.map((f) => f.nTrainUsed);
  lines.push(`Per fold, TLC and the forests are fitted on ${Math.min(...used)}-${Math.max(...used)} training ECGs and scored on the test fold.`, '');
  lines.push('## Surrogate random forest on cluster proportions', '');
  if (reg) {
    lines.push('| fold | n test | R² to CNN | forest MAE | CNN MAE | forest R² | CNN R² |', '|---|---|---|---|---|---|---|');
    for (const f of ev.folds) {
      const s = f.surrogate;
      lines.push(`| ${s.fold} | ${s.nTest} | ${f2(s.r2ToCnn, 3)} | ${f2(s.forest['mae'])} | ${f2(s.cnn['mae'])} | ${f2(s.forest['r2'], 3)} | ${f2(s.cnn['r2'], 3)} |`);
    }
    const S = ev.surrogate;
    lines.push(`| mean ± std | | ${ms({ ...S.fidelity, mean: S.fidelity.mean / 100, std: S.fidelity.std / 100 }, 3)} | ${ms(S.forest['mae'])} | ${ms(S.cnn['mae'])} | ${ms(S.forest['r2'], 3)} | ${ms(S.cnn['r2'], 3)} |`);
  } else {
    lines.push('| fold | n test | fidelity % (per ECG and class) | majority baseline % | exact match % | baseline exact % | Cohen κ (macro) | forest accuracy | CNN accuracy | forest AUROC | CNN AUROC |', '|---|---|---|---|---|---|---|---|---|---|---|');
    for (const f of ev.folds) {
      const s = f.surrogate;
      lines.push(`| ${s.fold} | ${s.nTest} | ${f2(s.fidelity, 1)} | ${f2(s.majority?.fidelity, 1)} | ${f2(s.exactMatch, 1)} | ${f2(s.majority?.exactMatch, 1)} | ${f2(s.kappa, 3)} | ${f2(s.forest['accuracy'], 3)} | ${f2(s.cnn['accuracy'], 3)} | ${f2(s.forest['auroc'], 3)} | ${f2(s.cnn['auroc'], 3)} |`);
    }
    const S = ev.surrogate;
    lines.push(`| mean ± std | | ${ms(S.fidelity, 1)} | ${ms(S.majority?.fidelity, 1)} | ${ms(S.exactMatch, 1)} | ${ms(S.majority?.exactMatch, 1)} | ${ms(S.kappa, 3)} | ${ms(S.forest['accuracy'], 3)} | ${ms(S.cnn['accuracy'], 3)} | ${ms(S.forest['auroc'], 3)} | ${ms(S.cnn['auroc'], 3)} |`);
    if (S.perClass) {
      lines.push('', 'Per class, mean ± std over folds:', '', '| class | fidelity % | Cohen κ | forest AUROC | CNN AUROC |', '|---|---|---|---|---|');
      for (const [c, v] of Object.entries(S.perClass)) lines.push(`| ${c} | ${ms(v.fidelity, 1)} | ${ms(v.kappa, 3)} | ${ms(S.forest[`auroc:${c}`], 3)} | ${ms(S.cnn[`auroc:${c}`], 3)} |`);
    }
  }
  if (ev.waves) {
    lines.push('', '## Clusters vs waves (test ECGs)', '');
    lines.push('| group | NMI | NMI, waves shifted half a beat | purity | purity, shifted | best QRS-cluster purity | entropy on boundaries | entropy inside waves |', '|---|---|---|---|---|---|---|---|');
    for (const w of ev.waves) lines.push(`| ${w.name} | ${ms(w.nmi, 3)} | ${ms(w.nullNmi, 3)} | ${ms(w.purity, 3)} | ${ms(w.nullPurity, 3)} | ${ms(w.qrsPurity, 3)} | ${ms(w.entropyBoundary, 3)} | ${ms(w.entropyInside, 3)} |`);
    const first = ev.folds.find((f) => f.waves)!;
    lines.push('', `Fold ${first.surrogate.fold}: dominant wave (purity) of each cluster:`, '');
    for (const w of first.waves!) {
      const cl = w.dominantWave.map((d, c) => (d === null ? `c${c}: -` : `c${c}: ${d} (${f2(w.clusterWaveFraction[c]![w.classes.indexOf(d)]!, 2)})`));
      lines.push(`- ${w.name}: ${cl.join(', ')}`);
    }
  }
  if (ev.entropy.length > 0) {
    lines.push('', '## Entropy (test ECGs)', '');
    const temps = ev.folds.map((f) => f.temperature).filter((t): t is TemperatureFit[] => t !== null);
    if (temps.length > 0) {
      lines.push(`Temperatures (held-out rule, mean over folds; the inertia rule's in brackets): ${ev.groups.map((g, gi) => `${g} ${f2(temps.reduce((a, t) => a + t[gi]!.tau, 0) / temps.length, 3)} (${f2(temps.reduce((a, t) => a + t[gi]!.inertiaTau, 0) / temps.length, 2)})`).join(', ')}.`, '');
    }
    const wrongWord = reg ? 'the quarter with the largest error' : 'any class wrong at 0.5';
    lines.push(`| group | mean | median | share > 0.5 | per-ECG mean, wrong (${wrongWord}) vs right | AUROC of entropy for wrong |`, '|---|---|---|---|---|---|');
    for (const e of ev.entropy) lines.push(`| ${e.name} | ${ms(e.mean, 3)} | ${ms(e.median, 3)} | ${ms(e.above05, 3)} | ${f2(e.meanWrong.mean, 3)} vs ${f2(e.meanRight.mean, 3)} | ${ms(e.wrongAuroc, 3)} |`);
    lines.push('', 'Distribution (share of timestamps per entropy bin of 0.05, mean over folds):', '', '| group | ' + ev.entropy[0]!.histogram.map((_, b) => `${(b / 20).toFixed(2)}`).join(' | ') + ' |', '|---|' + ev.entropy[0]!.histogram.map(() => '---|').join(''));
    for (const e of ev.entropy) lines.push(`| ${e.name} | ${e.histogram.map((v) => f2(v, 3)).join(' | ')} |`);
    if (ev.entropy[0]!.noise) {
      lines.push('', '| group, injected noise | stretch clean | stretch noisy | outside, noisy | clusters changed in the stretch | AUROC noisy vs clean |', '|---|---|---|---|---|---|');
      for (const e of ev.entropy) lines.push(`| ${e.name} | ${ms(e.noise!.insideClean, 3)} | ${ms(e.noise!.insideNoisy, 3)} | ${ms(e.noise!.outsideNoisy, 3)} | ${ms(e.noise!.changed, 3)} | ${ms(e.noise!.auroc, 3)} |`);
    }
    const classes = Object.keys(ev.entropy[0]!.classAuroc);
    if (classes.length > 0) {
      lines.push('', 'AUROC of the per-ECG mean entropy for each label (0.5: entropy does not differ with the label):', '', '| class | ' + ev.entropy.map((e) => e.name).join(' | ') + ' |', '|---|' + ev.entropy.map(() => '---|').join(''));
      for (const c of classes) lines.push(`| ${c} | ${ev.entropy.map((e) => ms(e.classAuroc[c], 3)).join(' | ')} |`);
    }
  }
  const en = Object.entries(ev.enrichment);
  if (en.length > 0) {
    lines.push('', `## Clusters most enriched per ${reg ? 'target band (quarters of the training targets)' : 'class'}`, '', 'Mean over folds of (mean proportion in test ECGs with the label − without), in points:', '');
    for (const [cls, v] of en) lines.push(`- ${cls} (${v.nPositive} ECGs): ${v.top.map((t) => `${t.cluster} ${t.diff.mean >= 0 ? '+' : ''}${(100 * t.diff.mean).toFixed(1)}${t.diff.n > 1 ? ` ± ${(100 * t.diff.std).toFixed(1)}` : ''}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}
