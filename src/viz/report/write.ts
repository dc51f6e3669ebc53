import { writeFileAtomic, type OutputPolicy } from '../../util/atomic-write.js';
import { collectReport, type ReportOptions } from './collect.js';
import { renderReportHtml } from './html.js';

/**
 * Collects, renders and writes the report of `runDir` to `out` (atomically);
 * returns its size in bytes. An existing `out` is replaced only with `force`.
 */
export async function writeReport(runDir: string, out: string, opts: ReportOptions & OutputPolicy = {}): Promise<number> {
  const { force, ...rest } = opts;
  const html = await renderReportHtml(await collectReport(runDir, rest));
  writeFileAtomic(out, html, { force: force === true });
  return Buffer.byteLength(html);
}
