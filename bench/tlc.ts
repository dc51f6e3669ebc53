// TLC core: fit times and fit quality of k-means (Lloyd, mini-batch), the
// diagonal GMM, PCA and the random forest at the sizes TLC uses (~20k
// timestamp vectors; ~20k ECGs x 30 cluster proportions), in CPU seconds of
// this process. Peer: scikit-learn with /usr/bin/python3 on the same data
// (written as .npy), single-threaded BLAS, same options where both have them;
// 'n/a' where scikit-learn is not installed (Debian: apt-get install -y python3-sklearn).
// Run: npm run build && node --expose-gc dist/bench/tlc.js
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Rng, writeNpy, KMeans, GaussianMixture, Pca, RandomForestClassifier, silhouetteScore, type Points,
} from '../src/index.js';

const N = 20000, SEED = 7;

function blobs(n: number, d: number, k: number, seed: number): Points {
  const rng = new Rng(seed);
  const centers = Array.from({ length: k * d }, () => rng.normal(0, 3));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(k);
    for (let j = 0; j < d; j++) data[i * d + j] = centers[c * d + j]! + rng.normal(0, 1.5);
  }
  return { data, n, d };
}

function forestData(n: number, seed: number): { x: Points; y: Float32Array } {
  const rng = new Rng(seed), d = 30;
  const data = new Float32Array(n * d), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) data[i * d + j] = rng.uniform();
    const clean = (data[i * d]! + data[i * d + 1]! > 1) !== (data[i * d + 2]! > 0.5);
    y[i] = (clean !== rng.uniform() < 0.05) ? 1 : 0;
  }
  return { x: { data, n, d }, y };
}

function cpu<T>(f: () => T): { s: number; out: T } {
  (globalThis as { gc?: () => void }).gc?.();
  const c0 = process.cpuUsage();
  const out = f();
  const c = process.cpuUsage(c0);
  return { s: (c.user + c.system) / 1e6, out };
}

const km = blobs(N, 64, 8, 1), gm = blobs(N, 16, 8, 2), pc = blobs(N, 256, 8, 3);
const tr = forestData(N, 4), te = forestData(5000, 5);

const dir = mkdtempSync(join(tmpdir(), 'ecgx-bench-tlc-'));
const save = (name: string, p: Points): void => writeNpy(join(dir, `${name}.npy`), { data: p.data as Float32Array, shape: [p.n, p.d] });
save('km', km); save('gm', gm); save('pc', pc); save('xtr', tr.x); save('xte', te.x);
writeNpy(join(dir, 'ytr.npy'), { data: tr.y, shape: [N] });
writeNpy(join(dir, 'yte.npy'), { data: te.y, shape: [5000] });

const PY = String.raw`
import json, os, sys, time, numpy as np, sklearn
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.mixture import GaussianMixture
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import silhouette_score
d = sys.argv[1]
L = lambda n: np.load(os.path.join(d, n + '.npy')).astype(np.float64)
km, gm, pc, xtr, xte, ytr, yte = L('km'), L('gm'), L('pc'), L('xtr'), L('xte'), L('ytr'), L('yte')
def cpu(f):
    t0 = time.process_time(); out = f(); return time.process_time() - t0, out
r = {'version': sklearn.__version__}
t, m = cpu(lambda: KMeans(8, n_init=1, max_iter=100, tol=1e-4, random_state=0, algorithm='lloyd').fit(km)); r['lloyd'] = [t, m.inertia_]
t, m = cpu(lambda: MiniBatchKMeans(8, n_init=1, batch_size=1024, random_state=0).fit(km)); r['minibatch'] = [t, float(((km - m.cluster_centers_[m.predict(km)])**2).sum())]
t, m = cpu(lambda: GaussianMixture(8, covariance_type='diag', tol=1e-3, max_iter=100, random_state=0).fit(gm)); r['gmm'] = [t, float(m.score(gm))]
t, m = cpu(lambda: PCA(svd_solver='full').fit(pc)); r['pca'] = [t, float(m.explained_variance_[0])]
t, m = cpu(lambda: RandomForestClassifier(100, max_features='sqrt', n_jobs=1, random_state=0).fit(xtr, ytr)); r['forest'] = [t, float(m.score(xte, yte))]
t, p = cpu(lambda: m.predict_proba(xte)); r['forest_predict'] = [t, 0]
lab = KMeans(8, n_init=1, random_state=0).fit_predict(km)
t, s = cpu(lambda: silhouette_score(km, lab, sample_size=2000, random_state=0)); r['silhouette'] = [t, float(s)]
print(json.dumps(r))
`;

function sklearnPeer(): Record<string, [number, number]> & { version?: string } | null {
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync('/usr/bin/python3', ['-c', PY, dir], { encoding: 'utf8', env });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } catch {
    return null;
  }
}

const lloyd = cpu(() => new KMeans({ k: 8, nInit: 1, maxIter: 100, seed: SEED }).fit(km));
const mb = cpu(() => new KMeans({ k: 8, nInit: 1, algorithm: 'minibatch', batchSize: 1024, seed: SEED }).fit(km));
const gmm = cpu(() => new GaussianMixture({ k: 8, tol: 1e-3, maxIter: 100, seed: SEED }).fit(gm));
const pca = cpu(() => new Pca().fit(pc));
const rf = cpu(() => new RandomForestClassifier({ nTrees: 100, seed: SEED }).fit(tr.x, tr.y));
const rfPred = cpu(() => rf.out.predictProba(te.x));
const sil = cpu(() => silhouetteScore(km, lloyd.out.predict(km), { maxSamples: 2000, seed: SEED }));
const py = sklearnPeer();
rmSync(dir, { recursive: true, force: true });

const rows: string[][] = [['task', 'ecgx CPU s', 'ecgx quality', 'sklearn CPU s', 'sklearn quality', 'sklearn/ecgx time']];
const add = (name: string, s: number, q: string, key: string, fmt: (v: number) => string): void => {
  const p = py?.[key];
  rows.push([name, s.toFixed(2), q, p ? p[0].toFixed(2) : 'n/a', p ? fmt(p[1]) : 'n/a', p ? (p[0] / s).toFixed(2) : 'n/a']);
};
add('k-means Lloyd 20000x64, k=8 (inertia)', lloyd.s, lloyd.out.inertia.toExponential(4), 'lloyd', (v) => v.toExponential(4));
add('mini-batch k-means, batch 1024 (inertia)', mb.s, mb.out.inertia.toExponential(4), 'minibatch', (v) => v.toExponential(4));
add('diag GMM 20000x16, k=8 (mean log-lik)', gmm.s, (gmm.out.logLikelihood(gm) / N).toFixed(4), 'gmm', (v) => v.toFixed(4));
add('PCA 20000x256 (top eigenvalue)', pca.s, pca.out.explainedVariance[0]!.toFixed(3), 'pca', (v) => v.toFixed(3));
add('random forest 20000x30, 100 trees (test acc)', rf.s, rf.out.score(te.x, te.y).toFixed(4), 'forest', (v) => v.toFixed(4));
add('  predict_proba 5000', rfPred.s, '', 'forest_predict', () => '');
add('silhouette, 2000-point sample', sil.s, sil.out.toFixed(4), 'silhouette', (v) => v.toFixed(4));
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
console.log(`node ${process.version}; scikit-learn ${py?.version ?? 'n/a (not installed)'} (1 BLAS thread); forest: ${rf.out.nNodes} nodes; load average ${loadavg()[0]!.toFixed(1)}`);
