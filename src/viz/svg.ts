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

// Advance widths of DejaVu Sans (the chart font), thousandths of an em, for
// ASCII 32..126, read from the font's hmtx table. Browsers that fall back to
// Verdana get nearly the same widths; text layout (header, legend) needs them
// because SVG cannot wrap or measure text by itself.
const DEJAVU_ASCII = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
  1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
  500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
];
const DEJAVU_BOLD_ASCII = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580,
  1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500,
  500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
];
/** A few non-ASCII characters that chart labels use (same in both weights); anything else counts as a full em. */
const DEJAVU_OTHER: Record<string, number> = { '\u00a0': 318, '–': 500, '—': 1000, '→': 838, '·': 318, '…': 1000, '×': 838, '±': 838, '≥': 838, '≤': 838 };

/** Estimated advance width of `text` set in DejaVu Sans at `fontSize` (same unit as the result). */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const table = bold ? DEJAVU_BOLD_ASCII : DEJAVU_ASCII;
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c <= 126 ? table[c - 32]! : (DEJAVU_OTHER[ch] ?? 1000);
  }
  return (w / 1000) * fontSize;
}

/** The longest prefix of `text` (with '…' when cut) whose width fits in `maxWidth`. */
export function fitText(text: string, fontSize: number, maxWidth: number, bold = false): string {
  if (textWidth(text, fontSize, bold) <= maxWidth) return text;
  const chars = [...text];
  for (let n = chars.length - 1; n > 0; n--) {
    const cut = chars.slice(0, n).join('').trimEnd() + '…';
    if (textWidth(cut, fontSize, bold) <= maxWidth) return cut;
  }
  return '…';
}

/**
 * A value label with `digits` significant digits: plain for 0.001 <= |v| < 10000
 * ('0.012', '150', '3.5'), else in exponent form ('6.2e-4', '1.5e5'), so that
 * attribution scales of any size keep their magnitude.
 */
export function formatSignificant(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(digits)));
  const [m, e] = v.toExponential(digits - 1).split('e');
  return `${String(Number(m))}e${Number(e)}`;
}
