/**
 * `ecgx benchmark explainers`: the ground-truth benchmark of ECG explainers
 * (explain/benchmark), written as OUT/report.html, OUT/results.json and
 * OUT/leaderboard.md beside the data and models it made (OUT/data,
 * OUT/data-trap, OUT/runs).
 */
import { join, resolve } from 'node:path';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs, threadsOption } from './command.js';
import { IoError, OptionError } from '../util/errors.js';
import { checkOutput, isEcgxOutput, markOutputFolder, writeFileAtomic } from '../util/atomic-write.js';
import { versions } from '../train/run.js';
import { benchmarkConfig, benchmarkJson, checkBenchmarkConfig, leaderboardMarkdown, runBenchmark, SKIPPED_METHODS, TORCH_MODEL_FILE, type BenchmarkConfig, type BenchmarkResult } from '../explain/benchmark/index.js';
import { renderBenchmarkHtml } from '../viz/benchmark/report.js';
import { explainerFactory } from '../explain/registry.js';

const usage = `Usage: ecgx benchmark explainers --out DIR [--size full|small] [--seed S] [--threads N]
                                  [--n N] [--epochs E] [--per-class N] [--methods LIST] [--models LIST]
                                  [--torch-model FILE] [--reuse] [--force]

Which explanation is right? A synthetic database whose generator knows, for
every ECG, where each label's evidence lives (MI: Q waves and ST-T in the
territory; STTC: ST-T; CD: the QRS of a block, the PR of 1AVB; HYP: QRS
voltage), models of several architectures, and every registered explainer
(TLC included, fitted per model) scored per class against those masks:
relevance mass accuracy, relevance rank accuracy, pointing game, AUROC of
|attribution| as a mask detector, mean with a 95% CI over ECGs, time per ECG;
with a uniform map and the signal's own |amplitude| as references.
Then a shortcut trap (spikes in half of one class's ECGs: does each method
show that the model uses them?), stability under recording noise, what-if
edits (dose-response) and beat-level summaries per class.

Writes DIR/report.html (self-contained), DIR/results.json, DIR/leaderboard.md,
and keeps DIR/data, DIR/data-trap (the databases, evidence masks beside each
record) and DIR/runs (the trained models). DIR is a workspace built in place:
the three result files appear last, so a run stopped early leaves none of them
(run again with --force, or --reuse to keep what was trained).

Sizes (seeded; both reproducible):
  full    3000 ECGs, 6 epochs; resnet1d-small, cnn1d, a PyTorch export (the committed
          torch-resnet), an untrained control; every method but ${Object.keys(SKIPPED_METHODS).join(', ')}; 12 ECGs
          per class (8 for the control); trap, stability, probes (about 25 minutes on 2 cores)
  small   500 ECGs, 4 epochs; resnet1d and its untrained control; 5 methods; 6 ECGs per
          class, MI and HYP (about a minute; what the tests run)

Options:
  --out DIR           output folder
  --size S            full (default) or small
  --seed S            seed of the data, training and every method (default 1)
  --threads N         onnxruntime threads, 1-256 (default: onnxruntime's)
  --n N               ECGs in the database, 200-100000 (overrides the size's)
  --epochs E          training epochs, 1-1000
  --per-class N       test ECGs scored per class, 2-1000
  --methods LIST      methods to score (default: the size's)
  --models LIST       the size's models to keep, by name (e.g. resnet1d,untrained)
  --torch-model FILE  the carded PyTorch export (default: ${TORCH_MODEL_FILE.replace(/.*\/test\//, 'test/')})
  --reuse             keep DIR's data and trained models from an earlier run of the same
                      settings (only the scoring runs again)
  --force             replace an existing DIR that ecgx wrote
`;

const command: Command = {
  summary: 'benchmarks: explainers against planted ground-truth evidence (ecgx benchmark explainers)',
  usage,
  handlesHelp: true,
  async run(argv) {
    if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
      process.stdout.write(usage.trimEnd() + '\n');
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] !== 'explainers') throw new OptionError('benchmark', `unknown benchmark '${argv[0]}' (expected: explainers)`);
    const { values } = parseCommandArgs('benchmark explainers', argv.slice(1), {
      out: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' }, n: { type: 'string' }, epochs: { type: 'string' },
      'per-class': { type: 'string' }, methods: { type: 'string' }, models: { type: 'string' }, 'torch-model': { type: 'string' }, reuse: { type: 'boolean' }, force: { type: 'boolean' },
    });
    if (values.out === undefined) throw new OptionError('--out', 'expected an output folder');
    const out = resolve(values.out);
    const size = choiceOption('--size', values.size, ['full', 'small'] as const) ?? 'full';
    const c: BenchmarkConfig = benchmarkConfig(size);
    const seed = numberOption('--seed', values.seed, { integer: true, min: 0, max: 0xffffffff });
    if (seed !== undefined) c.seed = seed;
    const threads = threadsOption(values.threads);
    if (threads !== undefined) c.threads = threads;
    const n = numberOption('--n', values.n, { integer: true, min: 200, max: 100_000 });
    if (n !== undefined) c.n = n;
    const epochs = numberOption('--epochs', values.epochs, { integer: true, min: 1, max: 1000 });
    if (epochs !== undefined) c.epochs = epochs;
    const perClass = numberOption('--per-class', values['per-class'], { integer: true, min: 2, max: 1000 });
    if (perClass !== undefined) c.perClass = perClass;
    if (values.methods !== undefined) c.methods = [...new Set(values.methods.split(',').map((m) => explainerFactory(m.trim(), '--methods').name))];
    if (values.models !== undefined) {
      const keep = values.models.split(',').map((m) => m.trim());
      const bad = keep.find((k) => !c.models.some((m) => m.name === k));
      if (bad) throw new OptionError('--models', `no model '${bad}' in the ${size} benchmark (its models: ${c.models.map((m) => m.name).join(', ')})`);
      c.models = c.models.filter((m) => keep.includes(m.name));
    }
    if (values['torch-model'] !== undefined) {
      const file = resolve(values['torch-model']);
      if (!existsSync(file)) throw new IoError(file, 'not found (expected a carded ONNX model)');
      c.models = c.models.map((m) => (m.kind === 'file' ? { ...m, file } : m));
    }
    checkBenchmarkConfig(c);
    const command = `ecgx benchmark explainers ${argv.slice(1).join(' ')}`;
    const finish = async (dir: string, r: BenchmarkResult): Promise<void> => {
      writeFileAtomic(join(dir, 'results.json'), JSON.stringify(benchmarkJson(r, versions()), null, 1) + '\n');
      writeFileAtomic(join(dir, 'leaderboard.md'), leaderboardMarkdown(r));
      writeFileAtomic(join(dir, 'report.html'), await renderBenchmarkHtml(r, { command }));
    };
    const t0 = performance.now();
    let r: BenchmarkResult;
    if (values.reuse) {
      if (!existsSync(out) || !isEcgxOutput(out)) throw new OptionError('--reuse', `${out} is not a folder an earlier 'ecgx benchmark explainers' wrote`);
      r = await runBenchmark(c, out, { reuse: true });
      await finish(out, r);
    } else {
      // A workspace (databases, training runs) built in place, so that its runs name their real data folder;
      // the report files appear last, each atomically. A killed run leaves no report.html: rerun with --force or --reuse.
      checkOutput(out, 'folder', { force: values.force === true });
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      markOutputFolder(out);
      r = await runBenchmark(c, out);
      await finish(out, r);
    }
    const s = (performance.now() - t0) / 1000;
    process.stdout.write(`benchmark: ${r.models.length} models, ${c.methods.length} methods, ${c.classes.length} classes in ${s.toFixed(0)} s -> ${join(out, 'report.html')}\n`);
    process.stdout.write(`best by relevance mass accuracy (trained models): ${r.ranking.slice(0, 3).map((x) => `${x.method} ${x.massAccuracy.toFixed(3)}`).join(', ')}\n`);
    return 0;
  },
};

export default command;
