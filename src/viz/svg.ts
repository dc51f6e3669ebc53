/** Small helpers to write SVG text by hand (no DOM), shared by the chart modules. */

/** Escapes text and attribute values for XML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A coordinate in px with at most `digits` decimals (default 2: 0.01 px is far below what a screen or printer shows). */
export function num(v: number, digits = 2): string {
  const k = 10 ** digits;
  const r = Math.round(v * k) / k;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Attributes from an object; undefined values are left out. */
export function attrs(a: Record<string, string | number | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : esc(v)}"`;
  }
  return out;
}

/** One element; with no children it self-closes. */
export function el(name: string, a: Record<string, string | number | undefined>, children?: string): string {
  return children === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${children}</${name}>`;
}

/**
 * A polyline's `points` attribute from flat [x0, y0, x1, y1, ...] coordinates,
 * to 0.1 px by default (0.025 mm at 4 px/mm): traces are most of a chart's bytes.
 */
export function pointsAttr(xy: ArrayLike<number>, digits = 1): string {
  const parts: string[] = [];
  for (let i = 0; i + 1 < xy.length; i += 2) parts.push(`${num(xy[i]!, digits)},${num(xy[i + 1]!, digits)}`);
  return parts.join(' ');
}

/** Path data of a polyline from flat coordinates ('M x y L x y ...'), to 0.1 px by default. */
export function polylinePath(xy: ArrayLike<number>, digits = 1): string {
  return xy.length < 2 ? '' : `M${pointsAttr(xy, digits).replace(' ', 'L')}`;
}

/** Path data of an axis-aligned rectangle (to merge many same-coloured rectangles into one path). */
export function rectPath(x: number, y: number, w: number, h: number): string {
  return `M${num(x)} ${num(y)}h${num(w)}v${num(h)}h${num(-w)}z`;
}
