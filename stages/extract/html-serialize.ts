/**
 * A full-mode tree (html-tree.ts, `full: true`) in html5lib's tree-construction test format:
 * one node a line, `| ` then two spaces per depth, `<svg name>` / `<math name>` for foreign
 * elements, attributes sorted by name one level deeper, `content` for a template's contents,
 * adjacent text merged and decoded. The conformance test compares it with the expected trees;
 * `refinery extract --tree` prints it for debugging.
 */
import { decodeHTML } from 'entities';
import { TEXT, COMMENT, DOCTYPE, TEMPLATE_CONTENT } from './tags.js';
import { RAW_TEXT, NS_SVG, NS_MATHML, type HtmlTree } from './html-tree.js';

/** The text of span [a, b) as a DOM would hold it: newlines normalized, references decoded, U+0000 replaced. */
export function spanText(src: string, a: number, b: number, raw: boolean): string {
  let s = src.slice(a, b);
  if (s.indexOf('\r') >= 0) s = s.replace(/\r\n?/g, '\n');
  if (!raw && s.indexOf('&') >= 0) s = decodeHTML(s);
  if (s.indexOf('\0') >= 0) s = s.replace(/\0/g, '\ufffd');
  return s;
}

export function serializeTree(tree: HtmlTree): string {
  const full = tree.full;
  if (!full) throw new Error('serializeTree needs a tree built with { full: true }');
  const { n, tag, parent, end, src, start, stop, flags } = tree;
  const depth = new Int32Array(n);
  const lines: string[] = [];
  for (let i = 1; i < n; i++) {
    const d = parent[i] === 0 ? 0 : depth[parent[i]] + 1;
    depth[i] = d;
    const pad = '| ' + '  '.repeat(d);
    const t = tag[i];
    if (t === TEXT) {
      let s = spanText(src, start[i], stop[i], (flags[i] & RAW_TEXT) !== 0);
      // adjacent text nodes are one DOM text node
      while (i + 1 < n && tag[i + 1] === TEXT && parent[i + 1] === parent[i]) {
        i++;
        depth[i] = d;
        s += spanText(src, start[i], stop[i], (flags[i] & RAW_TEXT) !== 0);
      }
      lines.push(`${pad}"${s}"`);
    } else if (t === COMMENT) {
      lines.push(`${pad}<!-- ${spanText(src, start[i], stop[i], true)} -->`);
    } else if (t === DOCTYPE) {
      const dt = full.doctypes.get(i)!;
      const ids = dt.publicId !== null || dt.systemId !== null ? ` "${dt.publicId ?? ''}" "${dt.systemId ?? ''}"` : '';
      lines.push(`${pad}<!DOCTYPE ${dt.name}${ids}>`);
    } else if (t === TEMPLATE_CONTENT) {
      lines.push(`${pad}content`);
    } else {
      const ns = full.ns[i];
      const prefix = ns === NS_SVG ? 'svg ' : ns === NS_MATHML ? 'math ' : '';
      lines.push(`${pad}<${prefix}${full.name[i]}>`);
      const attrs = full.attrs[i];
      if (attrs && attrs.length) {
        const apad = '| ' + '  '.repeat(d + 1);
        for (const [k, v] of [...attrs].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) lines.push(`${apad}${k}="${v}"`);
      }
    }
    void end;
  }
  return lines.join('\n');
}
