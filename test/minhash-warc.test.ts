// MinHash end to end on the bench WARC (issue #5): the test appends exact copies (same page,
// another URL) and near copies (one visible word in 100 replaced, one in 20 upper-cased) of pages
// that the streaming stages keep, runs the RefinedWeb streaming stages and 450x20 MinHash,
// and checks that every copy is removed while everything else keeps the fate it had without
// the copies (the originals come first in the file, so they survive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { localStorage } from '../src/storage/local.js';
import { warcRecord } from '../src/formats/warc-writer.js';
import { refinery } from './helpers/cli.js';
import { readFolderDocs } from './stages/corpus-harness.js';

const bench = sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');

const CONFIG = `
stages:
  - url_filter: {}
  - extract: {}
  - language: { languages: [en], min_score: 0.65 }
  - gopher_repetition: {}
  - gopher_quality: {}
  - line_corrections: {}
passes:
  - minhash: {}
`;

/** The response records of an uncompressed WARC: target URI and HTTP message. */
function responses(raw: Buffer): { uri: string; http: Buffer }[] {
  const out: { uri: string; http: Buffer }[] = [];
  const marker = Buffer.from('WARC/1.0\r\n');
  for (let at = raw.indexOf(marker); at >= 0; at = raw.indexOf(marker, at + 1)) {
    const headEnd = raw.indexOf('\r\n\r\n', at);
    const head = raw.subarray(at, headEnd).toString('latin1');
    if (!/^WARC-Type: response$/m.test(head)) continue;
    const uri = /^WARC-Target-URI: (.*)$/m.exec(head)![1]!.trim();
    const length = Number(/^Content-Length: (\d+)$/m.exec(head)![1]);
    out.push({ uri, http: raw.subarray(headEnd + 4, headEnd + 4 + length) });
  }
  return out;
}

/** The HTTP message with one visible word in 100 replaced and one in 20 upper-cased. */
function nearCopy(http: Buffer): Buffer {
  const split = http.indexOf('\r\n\r\n') + 4;
  let words = 0;
  const body = http
    .subarray(split)
    .toString('utf8')
    .split(/(<[^>]*>)/)
    .map((part, i) => {
      if (i % 2 === 1) return part; // a tag
      return part.replace(/[A-Za-z]{3,}/g, (w) => (++words % 100 === 50 ? 'replaced' : words % 20 === 0 ? w.toUpperCase() : w));
    })
    .join('');
  return Buffer.concat([http.subarray(0, split), Buffer.from(body, 'utf8')]);
}

test('minhash on the bench WARC: injected exact and near copies of kept pages are removed, nothing else changes', { skip: !bench && 'shared data absent', timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-minhash-warc-'));
  try {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, CONFIG);
    const run = (input: string, out: string) => {
      const r = refinery(['run', config, '-i', input, '-o', out, '-w', '1', '-q', '--excluded']);
      assert.equal(r.code, 0, r.stderr);
      return localStorage(out);
    };
    const raw = gunzipSync(readFileSync(bench!));
    const original = join(dir, 'original.warc');
    writeFileSync(original, raw);
    const before = run(original, join(dir, 'before'));
    const keptBefore = (await readFolderDocs(before, 'minhash_filter')).map((d) => d.url);

    // An exact and a near copy of every 4th page that the streaming stages kept.
    const streamed = (await readFolderDocs(before, 'filter')).map((d) => d.url);
    const pages = new Map(responses(raw).map((r) => [r.uri, r.http]));
    const chosen = streamed.filter((_, i) => i % 4 === 0);
    assert.ok(chosen.length >= 20, `${chosen.length} pages copied`);
    const copies: string[] = [];
    const records: Buffer[] = [];
    chosen.forEach((uri, i) => {
      for (const [kind, http] of [['exact', pages.get(uri)!], ['near', nearCopy(pages.get(uri)!)]] as const) {
        const copyUri = `https://${kind}-mirror.example/${i}`;
        copies.push(copyUri);
        const recordId = `<urn:uuid:00000000-0000-4000-8000-${String(records.length).padStart(12, '0')}>`;
        records.push(warcRecord({ type: 'response', recordId, date: '2023-02-01T01:00:00Z', targetUri: copyUri, block: http }));
      }
    });
    const withCopies = join(dir, 'with-copies.warc');
    writeFileSync(withCopies, Buffer.concat([raw, ...records]));
    const after = run(withCopies, join(dir, 'after'));

    // The copies went through the streaming stages like their originals (or the test proves nothing).
    const streamedAfter = new Set((await readFolderDocs(after, 'filter')).map((d) => d.url));
    assert.deepEqual(copies.filter((u) => !streamedAfter.has(u)), [], 'copies the streaming stages removed');
    const keptAfter = (await readFolderDocs(after, 'minhash_filter')).map((d) => d.url);
    assert.deepEqual(keptAfter.filter((u) => copies.includes(u)), [], 'copies that MinHash kept');
    assert.deepEqual(keptAfter, keptBefore, 'every other document keeps its fate');
    const excluded = new Set((await readFolderDocs(after, 'minhash_filter', 'excluded')).map((d) => d.url));
    assert.deepEqual(copies.filter((u) => !excluded.has(u)), [], 'copies missing from the excluded output');
    t.diagnostic(`${chosen.length} of ${streamed.length} streamed pages copied twice; ${keptBefore.length} documents kept before and after`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
