import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../../test/data-paths.js';
import { tinyTlcRun } from '../../explain/tlc/testing.js';
import { evaluateRun } from '../../train/report.js';
import { chromiumMissing, openBrowser } from '../app/browser.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

/** Where screenshots go: ECGX_SCREENSHOTS (to look at them), else the test's temporary folder. */
const shots = (root: string): string => process.env['ECGX_SCREENSHOTS'] ?? root;
const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;
/** The text of each top-level <figure class="X"> ... </figure>. */
const figures = (html: string, cls: string): string[] => html.split(`<figure class="${cls}"`).slice(1).map((s) => s.slice(0, s.indexOf('</figure>')));

const fixture = (async () => {
  const { run } = await tinyTlcRun(8);
  const root = mkdtempSync(join(tmpdir(), 'ecgx-report-'));
  const tlc = join(root, 'tlc.json');
  const fit = ecgx('tlc', 'fit', '--run', run, '--fold', '2', '--k', '4', '--seed', '1', '--threads', '1', '--out', tlc);
  assert.equal(fit.code, 0, fit.stderr);
  const out = join(root, 'out', 'report.html');
  const r = ecgx('report', '--run', run, '--tlc', tlc, '--out', out, '--threads', '1');
  assert.equal(r.code, 0, r.stderr);
  return { run, root, tlc, out, html: readFileSync(out, 'utf8') };
})();

test('ecgx report: one self-contained file with every section, the ECG charts and the Vega views', async () => {
  const { run, out, html } = await fixture;
  assert.deepEqual(readdirSync(join(out, '..')), ['report.html'], 'written atomically: no temporary file left');
  // Self-contained: nothing is fetched (no src/href to another document, no CSS import or url()).
  assert.equal(count(html, /\s(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//gi), 0);
  assert.equal(count(html, /<link\b|@import|url\(\s*["']?(?:https?:)?\/\//gi), 0);
  assert.equal(count(html, /<(?:img|iframe|object|embed)\b/gi), 0);
  for (const id of ['summary', 'metrics', 'predictions', 'tlc', 'gallery', 'beats', 'compare']) assert.ok(html.includes(`<section id="${id}">`), id);
  // Beat summaries per class: one 12-lead median-beat panel per gallery class, with its share-by-phase table.
  assert.deepEqual([...html.matchAll(/<figure class="beat-panel" data-class="([^"]+)"/g)].map((m) => m[1]), ['NORM', 'MI']);
  assert.equal(count(html, /<th>gradcam, % of \|attribution\|<\/th><th>P<\/th><th>PR<\/th><th>QRS<\/th><th>ST<\/th><th>T<\/th><th>TP<\/th>/g), 2);

  // Metrics table: mean ± std of each metric as evaluateRun computes it.
  const ev = evaluateRun(run);
  const auroc = ev.summary['auroc']!;
  assert.ok(html.includes(`<td>auroc</td>${ev.folds.map((f) => `<td>${f.metrics['auroc']!.toFixed(4)}</td>`).join('')}<td>${auroc.mean.toFixed(4)} ± ${auroc.std.toFixed(4)}</td>`));

  // Cohort views rendered by Vega: ROC, confusion, proportions, entropy and prototypes per block (2 blocks), fidelity.
  const views = figures(html, 'cohort');
  assert.equal(views.length, 8);
  for (const v of views) assert.match(v, /<svg[^>]*class="marks"/);
  const roc = views.find((v) => v.includes('data-view="view-roc"'))!;
  assert.equal(count(roc, /aria-roledescription="line mark"/g), 3, 'chance line + NORM + MI');
  const cm = views.find((v) => v.includes('data-view="view-confusion"'))!;
  assert.equal(count(cm, /aria-roledescription="rect mark"/g), 8, 'one 2x2 table per class');
  // Confusion counts add up to the pooled test ECGs (60).
  const cmCounts = [...cm.matchAll(/aria-roledescription="text mark"[^>]*>[\s\S]*?<\/text>/g)].map((m) => Number(/>(\d+)<\/text>/.exec(m[0])?.[1] ?? NaN));
  assert.equal(cmCounts.reduce((a, b) => a + b, 0), 2 * 60);

  // Gallery: 2 classes x 2 ECGs, each a 12-lead chart with 2 cluster bands (block1, block2), the entropy panel and Grad-CAM.
  const ecgs = figures(html, 'ecg');
  assert.equal(ecgs.length, 4);
  assert.deepEqual(ecgs.map((e) => /data-class="([^"]+)"/.exec(e)![1]), ['NORM', 'NORM', 'MI', 'MI']);
  for (const e of ecgs) {
    assert.equal(count(e, /<g class="segment"/g), 12);
    assert.equal(count(e, /<g class="cluster-band"/g), 2);
    assert.equal(count(e, /<g class="entropy-panel"/g), 1);
    assert.equal(count(e, /<g class="attribution attribution-background" data-method="gradcam"/g), 1);
  }
  // Methods compared on the first example: lead II alone, each method's map (Grad-CAM shades the
  // background, the per-sample methods colour the trace), a random map as the reference row, then TLC.
  const cmp = figures(html, 'compare');
  assert.deepEqual(cmp.map((f) => /data-method="([^"]+)"/.exec(f)![1]), ['gradcam', 'saliency', 'integrated-gradients', 'random', 'tlc']);
  for (const f of cmp) assert.equal(count(f, /<g class="segment" data-lead="II"/g), 1);
  const styles = ['background', 'trace', 'trace', 'trace'];
  cmp.slice(0, 4).forEach((f, i) => assert.equal(count(f, new RegExp(`<g class="attribution attribution-${styles[i]}" data-method="${['gradcam', 'saliency', 'integrated-gradients', 'random'][i]}"`, 'g')), 1, `${i}`));
  assert.equal(count(cmp[4]!, /<g class="cluster-band"/g), 2);
  assert.equal(count(cmp[4]!, /class="attribution/g), 0);
  // Captions say what is drawn by default, as the chart's rule decided it.
  assert.match(cmp[0]!, /<figcaption>Background shaded by the gradcam attribution for (NORM|MI) \(viridis[^)]*; full colour at the 98th percentile of \|value\|, [\d.]+% saturate\)\.<\/figcaption>/);
  assert.match(cmp[2]!, /<figcaption>Trace coloured by the integrated-gradients attribution for (NORM|MI) \(orange: towards the target, purple: against it;/);
  assert.ok(ecgs[0]!.includes('P/QRS/T spans from the annotations are hidden: switch them on with the waves box above.'), 'the gallery caption says the waves start hidden');
  // Faithfulness: every method and the random reference row, on the gallery's ECGs.
  const faith = /<table class="num faithfulness">([\s\S]*?)<\/table>/.exec(html)![1]!;
  assert.deepEqual([...faith.matchAll(/<tr><td>([^<]+)<\/td><td>(\d\.\d{3})<\/td><td>(\d\.\d{3})<\/td><\/tr>/g)].map((m) => m[1]), ['gradcam', 'saliency', 'integrated-gradients', 'random (reference)']);
  // No degenerate axis labels such as '100.000000'; one class order (the run's) in every view that lists classes.
  assert.doesNotMatch(html, />\d+\.\d{5,}</);
  for (const v of views.filter((x) => /view-(entropy|proportions)/.test(x))) {
    const labels = [...v.matchAll(/<text[^>]*>(NORM|MI)(?: \(n=\d+\))?<\/text>/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(labels)], ['NORM', 'MI'], 'classes in the run\'s order');
  }
});

test('the report in headless Chromium: no request, no console error, overlay switches work', async (t) => {
  const missing = chromiumMissing();
  if (missing) return t.skip(missing);
  const { out, root } = await fixture;
  const s = await openBrowser({ width: 1300, height: 900 });
  try {
    const url = `file://${out}`;
    const requests: string[] = [];
    s.page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
    await s.page.goto(url);
    assert.deepEqual(requests, [], 'the page asks for nothing');
    assert.deepEqual(s.blocked, []);
    assert.equal(await s.page.locator('figure.ecg svg g.segment').count(), 4 * 12);
    const visible = (): Promise<number> => s.page.locator('figure.ecg svg g.attribution').evaluateAll((els) => els.filter((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { display: string } }).getComputedStyle(e).display !== 'none').length);
    assert.equal(await visible(), 4);
    await s.page.locator('input[data-toggle="attribution"]').uncheck();
    assert.equal(await visible(), 0);
    await s.page.locator('input[data-toggle="attribution"]').check();
    assert.equal(await visible(), 4);
    // Wave spans (synthetic ground truth) start hidden and come with their switch.
    const waves = (): Promise<number> => s.page.locator('figure.ecg svg g.waves').evaluateAll((els) => els.filter((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { display: string } }).getComputedStyle(e).display !== 'none').length);
    assert.equal(await waves(), 0);
    await s.page.locator('input[data-toggle="waves"]').check();
    assert.equal(await waves(), 4);
    // Hover over lead II of the first chart: time, lead and the cluster of each block at that sample.
    const first = s.page.locator('figure.ecg > svg').first();
    const box = (await first.locator('g.segment[data-lead="II"] polyline').first().boundingBox())!;
    await s.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await s.page.waitForSelector('#tooltip:not([hidden])');
    const tip = (await s.page.textContent('#tooltip'))!;
    const n = Number(await s.page.getAttribute('#tooltip', 'data-sample'));
    assert.ok(Math.abs(n - 150) <= 3, `sample ${n}`); // the middle of the 3 s record (the model sees its central 256 samples)
    assert.ok(tip.startsWith(`t = ${(n / 100).toFixed(3)} slead II`), tip);
    for (const block of ['block1', 'block2']) {
      const c = await first.locator(`g.cluster-band[data-block="${block}"] rect.cluster`).evaluateAll((rs, n) => rs.find((r) => +r.getAttribute('data-from')! <= n && n < +r.getAttribute('data-to')!)?.getAttribute('data-cluster'), n);
      assert.ok(tip.includes(`${block}: cluster c${c}`), tip);
    }
    // Every cohort view laid out with a non-empty box.
    const boxes = await s.page.locator('figure.cohort > svg').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => r.width * r.height));
    assert.equal(boxes.length, 8);
    assert.ok(boxes.every((a) => a > 10_000), String(boxes));
    // Legends readable at 100%: every legend text of the example charts is at least 11 px on screen.
    const sizes = await s.page.locator('figure.ecg > svg, figure.compare > svg').evaluateAll((svgs) => svgs.flatMap((svg) => {
      const k = svg.getBoundingClientRect().width / Number(svg.getAttribute('width'));
      return [...svg.querySelectorAll('g.legend text')].map((t) => k * Number((globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string } }).getComputedStyle(t).fontSize.replace('px', '')));
    }));
    assert.ok(sizes.length > 20, `${sizes.length} legend texts`);
    assert.ok(Math.min(...sizes) >= 11, `smallest legend text ${Math.min(...sizes).toFixed(1)} px`);
    writeFileSync(join(shots(root), 'report.png'), await s.page.screenshot({ fullPage: true }));
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
  }
});

test('ecgx report: a TLC of another model is a one-line error and no file', async () => {
  const { run, root, tlc: good } = await fixture;
  // The same TLC claiming another model's hash.
  const state = JSON.parse(readFileSync(good, 'utf8'));
  state.model.sha256 = '0'.repeat(64);
  const tlc = join(root, 'other-tlc.json');
  writeFileSync(tlc, JSON.stringify(state));
  const out = join(root, 'bad.html');
  const r = ecgx('report', '--run', run, '--tlc', tlc, '--out', out);
  assert.notEqual(r.code, 0);
  // One 'ecgx: ...' line and no stack trace (other processes' warnings, if any, are not ours to count).
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('ecgx: ')).length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.match(r.stderr, /not fitted on any checkpoint/);
  assert.ok(!existsSync(out));
});
