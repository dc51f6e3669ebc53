/**
 * Vega-Lite specs rendered to SVG in Node (the report) with Vega's headless
 * path (renderer 'none': no canvas, no DOM). The web app renders the same
 * specs in the browser with the vega / vega-lite bundles it serves itself.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type { TopLevelSpec } from 'vega-lite';

/** Fonts and colours shared by every cohort view (also the app's). */
export const COHORT_CONFIG = {
  font: 'DejaVu Sans, Verdana, Arial, sans-serif',
  background: '#ffffff',
  view: { stroke: '#dddddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 13, anchor: 'start' },
} as const;

/** A spec with the shared config filled in (the spec's own config wins). */
export function withCohortConfig(spec: TopLevelSpec): TopLevelSpec {
  return { ...spec, config: { ...COHORT_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
}

/**
 * The SVG text of a Vega-Lite spec. The data must be inline (`data.values`):
 * the loader is replaced by one that refuses every URL, so rendering never
 * touches the network or the disk.
 */
export async function renderVegaSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(withCohortConfig(spec)).spec;
  const loader = vega.loader();
  loader.load = async (uri: string): Promise<string> => {
    throw new Error(`cohort views use inline data only (refused to load '${uri}')`);
  };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
