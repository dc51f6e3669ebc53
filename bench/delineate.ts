// Delineation speed: ecgDelineate on 12-lead, 10 s LUDB records (20 records),
// at the records' 500 Hz and resampled to 100, 250 and 1000 Hz beforehand
// (resampling inside ecgDelineate, to its 250 Hz working rate, is timed).
// Records per second by wall clock and by this process's CPU time (steadier
// when other work shares the cores). Peer: neurokit2's ecg_delineate (DWT)
// when `/usr/bin/python3 -c 'import neurokit2'` works; otherwise 'n/a'.
// Run: npm run build && node --expose-gc dist/bench/delineate.js
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { ecgDelineate, makeEcg, openDataset, resample, type Ecg } from '../src/index.js';
import { LUDB_DIR } from '../test/data-paths.js';
import { best } from './_timing.js';

const N_RECORDS = 20;

function atRate(ecg: Ecg, fs: number): Ecg {
  if (fs === ecg.fs) return ecg;
  const n = ecg.nSamples;
  const leads = ecg.leads.map((_, l) => resample(ecg.signal.subarray(l * n, (l + 1) * n), ecg.fs, fs));
  const signal = new Float32Array(leads.length * leads[0]!.length);
  leads.forEach((x, l) => signal.set(x, l * leads[0]!.length));
  return makeEcg({ signal, fs, leads: ecg.leads, meta: ecg.meta });
}


function neurokitPeer(): string | null {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import neurokit2'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  // Same records, lead II, ecg_peaks + ecg_delineate(method='dwt'): one lead, not twelve.
  const script = `
import time, numpy as np, neurokit2 as nk, wfdb
sigs=[wfdb.rdrecord('${LUDB_DIR}/data/%d' % i).p_signal[:,1] for i in range(1, ${N_RECORDS + 1})]
def run():
    for s in sigs:
        _, r = nk.ecg_peaks(s, sampling_rate=500); nk.ecg_delineate(s, r, sampling_rate=500, method='dwt')
run(); t=time.perf_counter(); run(); print(${N_RECORDS}/(time.perf_counter()-t))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  return r.status === 0 ? `${Number(r.stdout.trim()).toFixed(1)} records/s (lead II only)` : `failed: ${r.stderr.trim().split('\n').pop()}`;
}

async function main(): Promise<void> {
  const ds = await openDataset(LUDB_DIR);
  const ids = ds.records().slice(0, N_RECORDS).map((r) => r.id);
  const records: Ecg[] = [];
  for await (const ecg of ds.iterate(ids)) records.push(ecg);
  console.log(`ecgDelineate: ${records.length} LUDB records, 12 leads x 10 s; node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`);
  console.log('');
  console.log('| fs (Hz) | records/s (wall) | records/s (CPU) | ms/record (CPU) |');
  console.log('|--------:|-----------------:|----------------:|----------------:|');
  for (const fs of [100, 250, 500, 1000]) {
    const set = records.map((e) => atRate(e, fs));
    const t = best(() => {
      for (const e of set) ecgDelineate(e);
    }, 3);
    console.log(`| ${fs} | ${(set.length / t.wall).toFixed(1)} | ${(set.length / t.cpu).toFixed(1)} | ${((t.cpu * 1000) / set.length).toFixed(1)} |`);
  }
  console.log('');
  const peer = neurokitPeer();
  console.log(`neurokit2 (peer, same run): ${peer ?? "n/a (/usr/bin/python3 -c 'import neurokit2' fails; not installed)"}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
