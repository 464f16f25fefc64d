/**
 * parse5 (a spec-conformant HTML parser) as an oracle on real pages: the tree the extractor
 * reads (elements' nesting and names, text, scripting off) must equal parse5's. Every 10th page
 * of the extraction sets (../shared/data/extraction/scrapinghub and dev/*), decoded by the
 * pipeline's charset logic; skips when the data is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parse } from 'parse5';
import { sharedData } from '../../src/paths.js';
import { decodeBody } from '../../src/readers/decode.js';
import { buildTree, RAW_TEXT, type HtmlTree } from '../../stages/extract/html-tree.js';
import { spanText } from '../../stages/extract/html-serialize.js';
import { TEXT, TAG_IDS, TEMPLATE_CONTENT, COMMENT, DOCTYPE } from '../../stages/extract/tags.js';

const NAME_OF: string[] = [];
for (const [name, id] of TAG_IDS) NAME_OF[id] = name;
/** Unknown tags have per-document ids in the production tree: compared as '*'. */
const nameOf = (name: string): string => (TAG_IDS.has(name) ? name : '*');
// U+0000 is dropped or made U+FFFD by the spec; the production tree leaves it in the text (html-tokenizer.ts)
const clean = (s: string): string => s.replace(/[\0\ufffd]/g, '');

/** One line per node: depth, then the element name or the text (adjacent text merged). */
function ours(tree: HtmlTree): string[] {
  const { n, tag, parent, src, start, stop, flags } = tree;
  const depth = new Int32Array(n);
  const out: string[] = [];
  for (let i = 1; i < n; i++) {
    depth[i] = parent[i] === 0 ? 0 : depth[parent[i]] + 1;
    const t = tag[i];
    if (t === TEXT) {
      let s = spanText(src, start[i], stop[i], (flags[i] & RAW_TEXT) !== 0);
      while (i + 1 < n && tag[i + 1] === TEXT && parent[i + 1] === parent[i]) {
        i++;
        depth[i] = depth[i - 1];
        s += spanText(src, start[i], stop[i], (flags[i] & RAW_TEXT) !== 0);
      }
      s = clean(s);
      if (s) out.push(`${depth[i]} "${s}"`);
    } else if (t === TEMPLATE_CONTENT) out.push(`${depth[i]} content`);
    else if (t !== COMMENT && t !== DOCTYPE) out.push(`${depth[i]} <${NAME_OF[t] ?? '*'}>`);
  }
  return out;
}

interface P5Node { nodeName: string; tagName?: string; value?: string; childNodes?: P5Node[]; content?: P5Node }

function theirs(doc: P5Node): string[] {
  const out: string[] = [];
  const stack: [P5Node, number][] = [];
  for (let k = (doc.childNodes ?? []).length - 1; k >= 0; k--) stack.push([doc.childNodes![k], 0]);
  let pendingText = '';
  let pendingDepth = -1;
  const flush = (): void => {
    const s = clean(pendingText);
    if (s) out.push(`${pendingDepth} "${s}"`);
    pendingText = '';
    pendingDepth = -1;
  };
  while (stack.length) {
    const [node, d] = stack.pop()!;
    if (node.nodeName === '#text') {
      if (pendingDepth !== d) flush();
      pendingDepth = d;
      pendingText += node.value;
      continue;
    }
    // the production tree keeps no comments: text on both sides of one is adjacent there
    if (node.nodeName === '#comment' || node.nodeName === '#documentType') continue;
    flush();
    if (node.nodeName === '#document-fragment') out.push(`${d} content`);
    else out.push(`${d} <${nameOf(node.tagName!.toLowerCase())}>`);
    const kids = node.nodeName === 'template' && node.content ? [node.content] : node.childNodes ?? [];
    for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k], d + 1]);
  }
  flush();
  return out;
}

const root = sharedData('extraction');

function samplePages(): { id: string; html: string }[] {
  const dirs = [join(root!, 'scrapinghub', 'html')];
  const dev = join(root!, 'dev');
  if (existsSync(dev)) for (const s of readdirSync(dev).sort()) dirs.push(join(dev, s, 'html'));
  const pages: { id: string; html: string }[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).filter((f) => f.endsWith('.html.gz')).sort();
    for (let k = 0; k < files.length; k += 10) {
      const buf = gunzipSync(readFileSync(join(dir, files[k])));
      pages.push({ id: `${dir.split('/').slice(-2, -1)[0]}/${files[k]}`, html: decodeBody(buf, {}, 64 << 20).html });
    }
  }
  return pages;
}

/** Share of pages whose trees agree, at least (measured: all 143 sampled pages). */
const AGREEMENT_FLOOR = 1;

test('oracle: on real pages our tree equals parse5\'s (elements and text)', { skip: root ? false : 'shared data absent' }, () => {
  const pages = samplePages();
  assert.ok(pages.length > 50);
  let agree = 0;
  const diffs: string[] = [];
  for (const p of pages) {
    const a = ours(buildTree(p.html, { maxNodes: 400_000 }));
    const b = theirs(parse(p.html, { scriptingEnabled: false }) as unknown as P5Node);
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    if (k === a.length && k === b.length) { agree++; continue; }
    diffs.push(`${p.id} line ${k}: ours ${JSON.stringify(a[k]?.slice(0, 120))} parse5 ${JSON.stringify(b[k]?.slice(0, 120))}`);
  }
  const rate = agree / pages.length;
  console.log(`oracle: ${agree} of ${pages.length} pages agree with parse5 (${(rate * 100).toFixed(1)}%)`);
  if (process.env.ORACLE_VERBOSE) console.log(diffs.join('\n'));
  assert.ok(rate >= AGREEMENT_FLOOR, `agreement ${rate} below ${AGREEMENT_FLOOR}:\n${diffs.slice(0, 5).join('\n')}`);
});
