/**
 * A minimal reader for the SVG this module writes (tests and tools): elements
 * with their attributes and nesting, without a DOM. Not a general XML parser:
 * no CDATA, comments, entities other than the five XML ones, or namespaces.
 */

export interface SvgNode {
  name: string;
  attrs: Record<string, string>;
  children: SvgNode[];
  text: string;
  parent: SvgNode | undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescape = (s: string): string => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e]!);

/** Parses SVG text; throws on unbalanced or malformed tags. */
export function parseSvg(text: string): SvgNode {
  const root: SvgNode = { name: '#document', attrs: {}, children: [], text: '', parent: undefined };
  let cur = root;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = tag.exec(text)) !== null) {
    if (m.index !== pos) throw new SyntaxError(`parseSvg: unexpected text at ${pos}: ${text.slice(pos, pos + 40)}`);
    pos = tag.lastIndex;
    if (m[5] !== undefined) {
      cur.text += unescape(m[5]);
      continue;
    }
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      if (cur.name !== name) throw new SyntaxError(`parseSvg: </${name}> closes <${cur.name}>`);
      cur = cur.parent!;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = unescape(a[2]!);
    const node: SvgNode = { name: name!, attrs, children: [], text: '', parent: cur };
    cur.children.push(node);
    if (!selfClose) cur = node;
  }
  if (pos !== text.length) throw new SyntaxError(`parseSvg: trailing text at ${pos}`);
  if (cur !== root) throw new SyntaxError(`parseSvg: <${cur.name}> is not closed`);
  return root;
}

/** Every descendant (depth first) that matches. */
export function findAll(node: SvgNode, pred: (n: SvgNode) => boolean): SvgNode[] {
  const out: SvgNode[] = [];
  const walk = (n: SvgNode): void => {
    for (const c of n.children) {
      if (pred(c)) out.push(c);
      walk(c);
    }
  };
  walk(node);
  return out;
}

/** Elements whose class list contains `cls`. */
export function byClass(node: SvgNode, cls: string): SvgNode[] {
  return findAll(node, (n) => (n.attrs['class'] ?? '').split(/\s+/).includes(cls));
}

/** Flat [x0, y0, x1, y1, ...] of a polyline's points. */
export function polylinePoints(n: SvgNode): number[] {
  return (n.attrs['points'] ?? '').trim().split(/[\s,]+/).filter((s) => s !== '').map(Number);
}
