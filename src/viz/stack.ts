/**
 * Several charts in one picture: SVG documents stacked top to bottom, each
 * kept whole as a nested <svg> (its own viewport and coordinates), left
 * aligned so that charts of one record on the same paper share their time axis.
 */
import { num } from './svg.js';

/** Width and height of a chart's root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new RangeError('svgSize: no width and height on the root <svg>');
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** One SVG holding `charts` one under the other, `gap` px apart. */
export function stackSvgs(charts: readonly string[], gap = 8): string {
  if (charts.length === 1) return charts[0]!;
  let y = 0, width = 0;
  const parts: string[] = [];
  for (const c of charts) {
    const { width: w, height: h } = svgSize(c);
    // The nested chart keeps its attributes (data-* included); only its place is added.
    parts.push(c.trim().replace(/^<svg\b/, `<svg x="0" y="${num(y)}"`));
    y += h + gap;
    width = Math.max(width, w);
  }
  const height = y - gap;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}">` +
    `<rect width="${num(width)}" height="${num(height)}" fill="#ffffff"/>${parts.join('')}</svg>\n`;
}
