// Throughput of ECG preprocessing: resampling 12x5000 @500 Hz -> 100 Hz, and
// zero-phase band-pass [0.5, 40] Hz (Butterworth order 2) on 12x5000 @500 Hz.
// Rates are per second of CPU time of the process (the machine is shared).
// Peer: scipy.signal (resample_poly, sosfiltfilt) with /usr/bin/python3, timed
// in the same run on the same data; 'n/a' where scipy is not installed
// (Debian: apt-get install -y python3-scipy).
// Run: npm run build && node --expose-gc dist/bench/preprocess.js
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { makeEcg, STANDARD_LEADS, bandpassEcg, resampleEcg, preprocess, type Ecg } from '../src/index.js';

const FS = 500, N = 5000, LEADS = 12;

function syntheticEcg(): Ecg {
  const signal = new Float32Array(LEADS * N);
  let s = 12345;
  for (let k = 0; k < LEADS; k++) {
    for (let i = 0; i < N; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const t = i / FS;
      signal[k * N + i] = Math.sin(2 * Math.PI * 1.2 * t + k) + 0.3 * Math.sin(2 * Math.PI * 0.15 * t) + 0.05 * (s / 2 ** 32 - 0.5);
    }
  }
  return makeEcg({ signal, fs: FS, leads: STANDARD_LEADS, meta: { recordId: 'bench' } });
}

/**
 * ECGs per second of CPU time (user + system of this process), after a
 * warm-up, over at least `minMs` of CPU. CPU time, not wall time: the machine
 * is shared, and both sides do single-threaded work.
 */
function rate(f: () => unknown, minMs = 1500): number {
  for (let i = 0; i < 3; i++) f();
  (globalThis as { gc?: () => void }).gc?.();
  let reps = 0;
  const c0 = process.cpuUsage();
  let used = 0;
  while (used < minMs * 1000) {
    f();
    reps++;
    const c = process.cpuUsage(c0);
    used = c.user + c.system;
  }
  return (reps * 1e6) / used;
}

const SCIPY = String.raw`
import json, time, numpy as np, scipy, scipy.signal as ss
rng = np.random.default_rng(0)
t = np.arange(${N}) / ${FS}
x = np.stack([np.sin(2*np.pi*1.2*t + k) + 0.3*np.sin(2*np.pi*0.15*t) + 0.05*(rng.random(${N})-0.5) for k in range(${LEADS})]).astype(np.float32)
sos = ss.butter(2, [0.5, 40], 'bandpass', fs=${FS}, output='sos')
# ecgx's resampling filter (half-length 20*max(up,down), Kaiser beta 8) for an equal-work comparison
h = ss.firwin(2*20*5 + 1, 1/5, window=('kaiser', 8.0))
def rate(f, min_s=1.5):
    for _ in range(3): f()
    reps, t0 = 0, time.process_time()
    while time.process_time() - t0 < min_s:
        f(); reps += 1
    return reps / (time.process_time() - t0)
print(json.dumps({
  'version': scipy.__version__,
  'resample': rate(lambda: ss.resample_poly(x, 1, 5, axis=-1)),
  'resample_same_filter': rate(lambda: ss.resample_poly(x, 1, 5, axis=-1, window=h)),
  'filtfilt': rate(lambda: ss.sosfiltfilt(sos, x, axis=-1)),
}))
`;

function scipyRates(): { version: string; resample: number; resample_same_filter: number; filtfilt: number } | null {
  const r = spawnSync('/usr/bin/python3', ['-c', SCIPY], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } catch {
    return null;
  }
}

const ecg = syntheticEcg();
const ours = {
  resample: rate(() => resampleEcg(ecg, 100)),
  filtfilt: rate(() => bandpassEcg(ecg, [0.5, 40])),
  pipeline: rate(() => preprocess(ecg, { notch: 50, bandpass: [0.5, 40], fs: 100, standardize: true, length: 1000 })),
};
const py = scipyRates();

const msps = (ecgPerS: number): string => ((ecgPerS * LEADS * N) / 1e6).toFixed(1);
const rows: string[][] = [
  ['task (12 x 5000 @500 Hz)', 'ecgx ECG/s', 'ecgx MSamples/s', 'scipy ECG/s', 'ecgx / scipy'],
  ['resample 500->100 Hz', ours.resample.toFixed(0), msps(ours.resample), py ? py.resample.toFixed(0) : 'n/a', py ? (ours.resample / py.resample).toFixed(2) : 'n/a'],
  ['  same filter as ecgx (K=20, beta 8)', '', '', py ? py.resample_same_filter.toFixed(0) : 'n/a', py ? (ours.resample / py.resample_same_filter).toFixed(2) : 'n/a'],
  ['band-pass [0.5, 40] filtfilt', ours.filtfilt.toFixed(0), msps(ours.filtfilt), py ? py.filtfilt.toFixed(0) : 'n/a', py ? (ours.filtfilt / py.filtfilt).toFixed(2) : 'n/a'],
  ['preprocess (notch+band-pass+resample+z+crop)', ours.pipeline.toFixed(0), msps(ours.pipeline), '', ''],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
console.log(`node ${process.version}; scipy ${py ? py.version : 'n/a (not installed)'}; rates per second of CPU time; MSamples/s counts input samples (12 x 5000 per ECG); load average ${loadavg()[0]!.toFixed(1)}`);
