/** Small helpers to write SVG text by hand (no DOM), shared by the chart modules. */

/** Escapes text and attribute values for XML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A coordinate in px with at most 2 decimals (0.01 px is far below what a screen or printer shows). */
export function num(v: number): string {
  const r = Math.round(v * 100) / 100;
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

/** A polyline's `points` attribute from flat [x0, y0, x1, y1, ...] coordinates. */
export function pointsAttr(xy: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i + 1 < xy.length; i += 2) parts.push(`${num(xy[i]!)},${num(xy[i + 1]!)}`);
  return parts.join(' ');
}
