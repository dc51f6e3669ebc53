import { writeFileAtomic } from '../../util/atomic-write.js';
import { collectReport, type ReportOptions } from './collect.js';
import { renderReportHtml } from './html.js';

/** Collects, renders and writes the report of `runDir` to `out` (atomically); returns its size in bytes. */
export async function writeReport(runDir: string, out: string, opts: ReportOptions = {}): Promise<number> {
  const html = await renderReportHtml(await collectReport(runDir, opts));
  writeFileAtomic(out, html);
  return Buffer.byteLength(html);
}
