import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../../test/data-paths.js';
import { tinyTlcRun } from '../../explain/tlc/testing.js';
import { chromiumMissing, openBrowser } from './browser.js';
import { startApp, type RunningApp } from './server.js';
import type { RecordSummary } from './session.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

const fixture = (async () => {
  const { run, data } = await tinyTlcRun(8);
  const root = mkdtempSync(join(tmpdir(), 'ecgx-serve-test-'));
  const tlc = join(root, 'tlc.json');
  const fit = ecgx('tlc', 'fit', '--run', run, '--fold', '2', '--k', '4', '--seed', '1', '--threads', '1', '--out', tlc);
  assert.equal(fit.code, 0, fit.stderr);
  const app = await startApp({ run, tlc, port: 0, threads: 1 });
  return { run, data, tlc, root, app };
})();

async function get(app: RunningApp, path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const r = await fetch(new URL(path, app.url), init);
  const text = await r.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, body };
}

// The app takes only JSON posts (a CSRF guard; see guard.ts).
const JSON_TYPE = { 'content-type': 'application/json' };

/** Where screenshots go: ECGX_SCREENSHOTS (to look at them), else the test's temporary folder. */
const shots = (root: string): string => process.env['ECGX_SCREENSHOTS'] ?? root;
const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

test('serve API: records with predictions, charts with TLC and attributions, errors, uploads', async () => {
  const { app, data } = await fixture;
  const info = (await get(app, '/api/info')).body;
  assert.deepEqual(info.classes, ['NORM', 'MI']);
  assert.ok(info.methods.includes('gradcam') && !info.methods.includes('tlc'));
  assert.deepEqual([info.tlc.k, info.tlc.groups, info.tlc.fold], [4, ['block1', 'block2'], 2]);
  // Clusters named by their dominant wave over records of the TLC's fold (the synthetic ground truth here).
  for (const g of ['block1', 'block2']) {
    assert.equal(info.tlc.clusterNames[g].length, 4);
    assert.ok(info.tlc.clusterNames[g].every((n: string) => ['', 'P', 'QRS', 'T', 'other'].includes(n)), info.tlc.clusterNames[g].join());
  }
  assert.match(info.tlc.namedBy, /^dominant wave, \d+ records of fold 2 \((annotations|ecgx delineator)/);
  assert.ok(app.url.startsWith('http://127.0.0.1:'));

  const records: RecordSummary[] = (await get(app, '/api/records')).body;
  assert.equal(records.length, 60);
  assert.deepEqual([...new Set(records.map((r) => r.fold))].sort(), [1, 2, 3]);
  for (const r of records) assert.deepEqual(r.predicted, ['NORM', 'MI'].filter((c) => r.scores[c]! >= 0.5));

  // A record of fold 2 (the TLC's checkpoint) has cluster bands; one of fold 1 has none.
  const inFold = (f: number): RecordSummary => records.find((r) => r.fold === f)!;
  const c2 = (await get(app, `/api/chart?id=${inFold(2).id}&method=gradcam&target=MI`)).body;
  assert.equal(count(c2.svg, /<g class="segment"/g), 12);
  assert.equal(count(c2.svg, /<g class="cluster-band"/g), 2);
  assert.equal(c2.attribution.target, 'MI');
  assert.equal(c2.attribution.values.length, c2.attribution.leads * 300);
  assert.equal(c2.tlc.groups[0].labels.length, 300);
  const again = (await get(app, `/api/chart?id=${inFold(2).id}&method=gradcam&target=MI&overlays=`)).body;
  assert.deepEqual(again.attribution, c2.attribution, 'cached explanation');
  assert.equal(count(again.svg, /class="cluster-band"|class="attribution/g), 0, 'overlays switched off');
  assert.equal(c2.tlcNotice, null);
  assert.ok(c2.svg.includes(`clusters block1 (named by ${info.tlc.namedBy})`), 'the legend names clusters by their dominant wave');
  const c1 = (await get(app, `/api/chart?id=${inFold(1).id}&method=saliency`)).body;
  assert.equal(c1.tlc, null);
  // A record of another fold says why it has no TLC overlays.
  assert.match(c1.tlcNotice, new RegExp(`^No TLC overlays for record ${inFold(1).id}: it is in test fold 1 .* the TLC was fitted on fold 2's checkpoint\\. Filter the records by fold 2`));
  // Per-sample methods colour the trace; P/QRS/T spans on request.
  assert.equal(count(c1.svg, /<g class="attribution attribution-trace" data-method="saliency"/g), 1);
  const w = (await get(app, `/api/chart?id=${inFold(1).id}&method=none&overlays=waves`)).body;
  assert.equal(count(w.svg, /<g class="waves"/g), 1);
  assert.ok(w.waves.intervals > 10, JSON.stringify(w.waves));
  assert.equal((await get(app, `/api/chart?id=${inFold(1).id}&overlays=bogus`)).status, 400);
  // Faithfulness on one record: each method, the random reference, the whole-deletion check.
  const f = (await get(app, `/api/faithfulness?id=${inFold(2).id}&methods=gradcam,saliency&target=MI`)).body;
  assert.deepEqual(f.rows.map((r: { method: string }) => r.method), ['gradcam', 'saliency']);
  assert.equal(f.random.method, 'random (reference)');
  for (const r of [...f.rows, f.random]) assert.ok(r.deletion >= 0 && r.deletion <= 1 && r.insertion >= 0 && r.insertion <= 1, JSON.stringify(r));
  assert.ok(f.wholeDeletion.meanChange >= 0);
  assert.equal((await get(app, `/api/faithfulness?id=${inFold(2).id}&methods=nope`)).status, 400);
  assert.equal(c1.attribution.leads, 12);
  // A time window: start and duration reach the chart.
  const z = (await get(app, `/api/chart?id=${inFold(1).id}&method=none&start=0.5&duration=1`)).body;
  assert.match(z.svg, /data-start="0.5" data-duration="1"/);

  assert.equal((await get(app, '/api/chart?id=nope')).status, 404);
  const bad = await get(app, `/api/chart?id=${inFold(1).id}&method=nope`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /unknown method 'nope'/);
  assert.equal((await get(app, `/api/chart?id=${inFold(1).id}&layout=5x5`)).status, 400);
  // Only its own routes: no file is served from a path.
  for (const p of ['/package.json', '/%2e%2e/%2e%2e/etc/passwd', '/vendor/../package.json', '/src/viz/app/server.ts']) assert.equal((await get(app, p)).status, 404, p);

  // Upload a WFDB pair of the dataset: it is listed, predicted and drawn.
  const dir = join(data, 'records100', '00000');
  const base = readdirSync(dir).find((f) => f.endsWith('.hea'))!.replace(/\.hea$/, '');
  const hea = readFileSync(join(dir, `${base}.hea`), 'utf8'), dat = readFileSync(join(dir, `${base}.dat`));
  const up = await get(app, '/api/upload', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ name: base, hea, dat: dat.toString('base64') }) });
  assert.equal(up.status, 200, JSON.stringify(up.body));
  const own = records.find((r) => r.id === String(Number(base.slice(0, 5))))!;
  for (const c of ['NORM', 'MI']) assert.ok(Math.abs(up.body.scores[c] - (await get(app, `/api/record?id=${own.id}`)).body.scores[c]) < 0.05 || own.fold !== 2);
  assert.equal((await get(app, '/api/records')).body.length, 61);
  const cu = (await get(app, `/api/chart?id=${encodeURIComponent(up.body.id)}&method=gradcam`)).body;
  assert.equal(count(cu.svg, /<g class="segment"/g), 12);
  // A truncated .dat and a non-WFDB header are 400s whose message names the file.
  const trunc = await get(app, '/api/upload', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ name: base, hea, dat: dat.subarray(0, 100).toString('base64') }) });
  assert.equal(trunc.status, 400);
  assert.match(trunc.body.error, new RegExp(`${base}`));
  const junk = await get(app, '/api/upload', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ name: 'x', hea: 'hello', dat: '' }) });
  assert.equal(junk.status, 400);
  assert.match(junk.body.error, /x\.hea/);
  const big = await get(app, '/api/upload', { method: 'POST', headers: JSON_TYPE, body: 'x'.repeat(24 << 20) });
  assert.equal(big.status, 413);
});

test('serve in headless Chromium: filter, pick methods, hover values, zoom, overlays, screenshot', async (t) => {
  const missing = chromiumMissing();
  if (missing) return t.skip(missing);
  const { app, root } = await fixture;
  const origin = app.url.replace(/\/$/, '');
  const s = await openBrowser({ allowOrigin: origin, width: 1400, height: 1000 });
  try {
    const { page } = s;
    await page.goto(app.url);
    await page.waitForSelector('body[data-ready="true"]');
    const records: RecordSummary[] = (await get(app, '/api/records')).body;
    assert.equal(await page.locator('#records li').count(), records.length);
    // Sorted by id in numeric order; the fold is a filter.
    const listed = await page.locator('#records li').evaluateAll((lis) => lis.map((li) => (li as unknown as { dataset: { id: string } }).dataset.id));
    assert.deepEqual(listed, records.map((r) => r.id).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    await page.selectOption('#f-fold', '2');
    assert.equal(await page.locator('#records li').count(), records.filter((r) => r.fold === 2).length);
    assert.match(page.url(), /[?&]fold=2(&|$)/);
    await page.selectOption('#f-fold', '');
    // Filter by label, then by prediction.
    await page.selectOption('#f-label', 'MI');
    assert.equal(await page.locator('#records li').count(), records.filter((r) => r.labels.includes('MI')).length);
    await page.selectOption('#f-pred', ':wrong');
    const wrong = records.filter((r) => r.labels.includes('MI') && r.labels.slice().sort().join() !== r.predicted.slice().sort().join());
    assert.equal(await page.locator('#records li').count(), wrong.length);
    await page.selectOption('#f-pred', '');
    // A record of the TLC's fold, with Grad-CAM (the default method) and saliency side by side.
    const rec = records.find((r) => r.fold === 2 && r.labels.includes('MI') && !r.uploaded)!;
    await page.fill('#f-id', rec.id);
    await page.locator(`#records li[data-id="${rec.id}"]`).click();
    await page.waitForSelector('.chart[data-method="gradcam"] svg');
    await page.locator('#methods input[value="saliency"]').check();
    await page.waitForSelector('.chart[data-method="saliency"] svg');
    assert.equal(await page.locator('.chart').count(), 2);
    await page.selectOption('#target', 'MI');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.chart[data-method="gradcam"] h3')?.textContent === 'gradcam → MI');
    const chart = page.locator('.chart[data-method="gradcam"] svg');
    assert.equal(await chart.locator('g.segment').count(), 12);
    assert.equal(await chart.locator('g.cluster-band').count(), 2);
    // Hover over lead II in the middle of the record and read the tooltip.
    const seg = chart.locator('g.segment[data-lead="II"] polyline').first();
    const box = (await seg.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector('#tooltip:not([hidden])');
    const tip = (await page.textContent('#tooltip'))!;
    const lead = await page.getAttribute('#tooltip', 'data-lead');
    const n = Number(await page.getAttribute('#tooltip', 'data-sample'));
    assert.equal(lead, 'II');
    assert.ok(Math.abs(n - 150) <= 3, `sample ${n}`);
    const recData = (await get(app, `/api/record?id=${rec.id}`)).body;
    const chartData = (await get(app, `/api/chart?id=${rec.id}&method=gradcam&target=MI`)).body;
    assert.ok(tip.includes(`t = ${(n / 100).toFixed(3)} s`), tip);
    assert.ok(tip.includes(`II: ${recData.signal[1 * 300 + n].toFixed(3)} mV`), tip);
    assert.ok(tip.includes(`block2: cluster c${chartData.tlc.groups[1].labels[n]}, entropy ${chartData.tlc.groups[1].entropy[n].toFixed(3)}`), tip);
    const a = chartData.attribution;
    assert.ok(tip.includes(`gradcam (MI): ${a.values[(a.leads === 1 ? 0 : 1) * 300 + n].toPrecision(3)}`), tip);
    // Legends readable at 100%: at least 11 px on screen.
    const sizes = await page.locator('.chart svg').evaluateAll((svgs) => svgs.flatMap((svg) => {
      const k = svg.getBoundingClientRect().width / Number(svg.getAttribute('width'));
      return [...svg.querySelectorAll('g.legend text')].map((t) => k * Number((globalThis as any).getComputedStyle(t).fontSize.replace('px', '')));
    }));
    assert.ok(sizes.length > 5 && Math.min(...sizes) >= 11, `legend text ${Math.min(...sizes).toFixed(1)} px`);
    // The faithfulness table of the chosen methods, with the random reference row.
    await page.waitForSelector('#faith:not([hidden]) tr[data-method="random (reference)"]');
    assert.deepEqual(await page.locator('#faith tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: { method: string } }).dataset.method)), ['gradcam', 'saliency', 'random (reference)']);
    writeFileSync(join(shots(root), 'app.png'), await page.screenshot({ fullPage: false }));
    // The view is in the URL; the same URL in a fresh page shows the same view.
    const shared = page.url();
    const q = new URL(shared).searchParams;
    assert.deepEqual([q.get('record'), q.get('methods'), q.get('target')], [rec.id, 'gradcam,saliency', 'MI']);
    const other = await page.context().newPage();
    await other.goto(shared);
    await other.waitForSelector('.chart[data-method="saliency"] svg');
    assert.equal(await other.locator('#records li.sel').getAttribute('data-id'), rec.id);
    assert.equal(await other.inputValue('#target'), 'MI');
    assert.deepEqual(await other.locator('#methods input:checked').evaluateAll((bs) => bs.map((b) => (b as unknown as { value: string }).value)), ['gradcam', 'saliency']);
    await other.waitForFunction(() => (globalThis as any).document.querySelector('.chart[data-method="gradcam"] h3')?.textContent === 'gradcam → MI');
    assert.equal(other.url(), shared, 'opening a shared view leaves its URL as it was');
    await other.close();
    // Zoom in: half the window; switch the cluster bands off.
    await page.locator('#methods input[value="saliency"]').uncheck();
    await page.click('#z-in');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.chart svg')?.dataset.duration === '1.5');
    assert.equal(await page.textContent('#window'), '0.75–2.25 s');
    assert.match(page.url(), /[?&]start=0\.75&duration=1\.5(&|$)/, 'the time window is in the URL too');
    // A record outside the TLC's fold: the page says why it has no clusters.
    const away = records.find((r) => r.fold === 1)!;
    await page.selectOption('#f-label', '');
    await page.fill('#f-id', away.id);
    await page.locator(`#records li[data-id="${away.id}"]`).click();
    await page.waitForSelector('#notice:not([hidden])');
    assert.match((await page.textContent('#notice'))!, /it is in test fold 1 .*fitted on fold 2's checkpoint/);
    await page.fill('#f-id', rec.id);
    await page.locator(`#records li[data-id="${rec.id}"]`).click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#notice').hidden === true);
    await page.click('#z-in');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.chart svg')?.dataset.duration === '1.5');
    // P/QRS/T spans on.
    await page.locator('#overlays input[value="waves"]').check();
    await page.waitForSelector('.chart svg g.waves');
    await page.locator('#overlays input[value="clusters"]').uncheck();
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('.chart svg g.cluster-band').length === 0);
    // Cohort views drawn by vega in the page.
    await page.waitForSelector('body[data-cohort="true"]');
    assert.equal(await page.locator('#cohort-views svg.marks').count(), 2);
    writeFileSync(join(shots(root), 'app-zoomed.png'), await page.screenshot({ fullPage: true }));
    // A bad upload shows its error in the page.
    writeFileSync(join(root, 'bad.hea'), 'not a header\n');
    writeFileSync(join(root, 'bad.dat'), Buffer.alloc(10));
    await page.setInputFiles('#up-hea', join(root, 'bad.hea'));
    await page.setInputFiles('#up-dat', join(root, 'bad.dat'));
    await page.click('#upload button');
    await page.waitForSelector('#error:not([hidden])');
    assert.match((await page.textContent('#error'))!, /Could not open the record: .*bad\.hea/);
    assert.deepEqual(s.blocked, [], 'no request outside the app');
    assert.deepEqual(s.errors.filter((e) => !/status of 400/.test(e)), []);
  } finally {
    await s.close();
  }
});

test('ecgx serve: port in use is a one-line error; SIGINT stops it cleanly', async () => {
  const { run } = await fixture;
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  const taken = ecgx('serve', '--run', run, '--port', String(port), '--threads', '1');
  blocker.close();
  assert.notEqual(taken.code, 0);
  // One 'ecgx: ...' line and no stack trace (other processes' warnings, if any, are not ours to count).
  assert.equal(taken.stderr.split('\n').filter((l) => l.startsWith('ecgx: ')).length, 1, taken.stderr);
  assert.doesNotMatch(taken.stderr, /^\s+at /m);
  assert.match(taken.stderr, new RegExp(`port ${port} on 127.0.0.1 is in use`));

  const child = spawn(process.execPath, [CLI, 'serve', '--run', run, '--port', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`serve exited: ${err}`)));
  });
  assert.equal((await fetch(new URL('/api/info', url))).status, 200);
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', (c) => resolve(c));
    child.kill('SIGINT');
  });
  assert.equal(code, 0, err);
  assert.match(err, /stopped/);
});

test.after(async () => {
  await (await fixture).app.close();
});
