// `refinery explain` (issue #17) on a real run of the bundled sample WARC, split in two input
// files and run with 2 workers and --explain, with an exact copy of a kept page (another URL)
// and a second capture of a kept page's URL (other, unique text) appended to the second file:
// a kept document (source record and offset, final row), one a filter removed (value vs
// threshold), the MinHash copy (names the kept original), the URL duplicate (names the
// capture that kept the URL), the spans exact substring cut, unknown ids and run dirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refinery, splitWarc, projectDir } from './helpers/cli.js';
import { warcRecord } from '../src/formats/warc-writer.js';
import { readParquetRows } from '../src/formats/parquet.js';
import type { Explanation } from '../src/explain.js';
import type { TraceLine } from '../src/explain-trace.js';

const sample = join(projectDir, 'data-samples', 'sample.warc.gz');

function trace(run: string): (TraceLine & { task: number })[] {
  const dir = join(run, 'filter', 'explain');
  return readdirSync(dir)
    .sort()
    .flatMap((f, task) =>
      gunzipSync(readFileSync(join(dir, f)))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => ({ ...(JSON.parse(l) as TraceLine), task })),
    );
}

async function rows(file: string, columns?: string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const r of readParquetRows(new Uint8Array(readFileSync(file)), { columns })) out.push(r);
  return out;
}

function explainJson(run: string, query: string): { documents: Explanation[]; traced: boolean; more: number } {
  const r = refinery(['explain', run, query, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { documents: Explanation[]; traced: boolean; more: number };
}

// A page of unique English prose: passes the RefinedWeb filters, duplicates nothing.
const UNIQUE_PAGE = `<html><head><title>Notes</title></head><body><article>
<p>Last autumn our small village library started lending garden tools along with books, and the results surprised almost everyone who had doubted the idea at the first meeting.</p>
<p>People borrowed spades, rakes and a heavy wheelbarrow far more often than the volunteers expected, and many of them came back to ask about seed catalogues, soil tests and the history of the old orchard behind the church.</p>
<p>The librarian keeps a handwritten ledger of every loan, because she says the paper record makes neighbours talk to each other while they wait at the desk, which is exactly the point of the whole project.</p>
<p>Next spring the committee plans to add a shelf of preserving jars and a pressure canner, although the insurance questions are still being argued over at the parish council with considerable enthusiasm.</p>
</article></body></html>`;

test('refinery explain follows documents through a real run', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-explain-'));
  try {
    const config = join(dir, 'config.yaml');
    // The RefinedWeb preset, with exact substring recording the spans it cuts.
    writeFileSync(config, readFileSync(join(projectDir, 'configs', 'refinedweb.yaml'), 'utf8').replace('mode: cut, min_chars_left: 20', 'mode: cut, min_chars_left: 20, write_spans: true'));
    // The sample's last member is cut short on purpose (gunzip what there is), so the copies go
    // at the start of the second file, after every page of the first.
    const whole = join(dir, 'sample.warc.gz');
    writeFileSync(whole, gzipSync(gunzipSync(readFileSync(sample), { finishFlush: constants.Z_SYNC_FLUSH })));
    const parts = splitWarc(whole, 2, dir);
    const run = (out: string, workers: string) => {
      const r = refinery(['run', config, '-i', ...parts, '-o', out, '-w', workers, '-q', '--explain']);
      assert.equal(r.code, 0, r.stderr);
      return out;
    };
    // A first run picks two pages of the first file that the run keeps to the end.
    const first = run(join(dir, 'first'), '1');
    const finalIds = new Set((await rows(join(first, 'final', 'part-00000.parquet'), ['id'])).map((r) => r.id));
    const keptFirstFile = trace(first).filter((l) => l.task === 0 && l.stage === undefined && finalIds.has(l.id));
    assert.ok(keptFirstFile.length >= 2, `${keptFirstFile.length} kept pages in the first file`);
    const [original, otherCapture] = keptFirstFile as unknown as [TraceLine, TraceLine];
    const raw = readFileSync(parts[0]!);
    const httpOf = (offset: number) => {
      const head = raw.indexOf('\r\n\r\n', offset);
      const length = Number(/Content-Length: (\d+)/i.exec(raw.subarray(offset, head).toString('latin1'))![1]);
      return raw.subarray(head + 4, head + 4 + length);
    };
    const copyUrl = 'https://exact-mirror.example/copy';
    const unique = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${UNIQUE_PAGE}`);
    writeFileSync(
      parts[1]!,
      Buffer.concat([
        warcRecord({ type: 'response', recordId: '<urn:uuid:00000000-0000-4000-8000-000000000001>', date: '2023-02-01T01:00:00Z', targetUri: copyUrl, block: httpOf(original.offset) }),
        warcRecord({ type: 'response', recordId: '<urn:uuid:00000000-0000-4000-8000-000000000002>', date: '2023-02-01T02:00:00Z', targetUri: otherCapture.url, block: unique }),
        readFileSync(parts[1]!),
      ]),
    );

    const out = run(join(dir, 'two-workers'), '2');
    const one = run(join(dir, 'one-worker'), '1');
    for (const f of readdirSync(join(out, 'filter', 'explain'))) {
      assert.ok(readFileSync(join(out, 'filter', 'explain', f)).equals(readFileSync(join(one, 'filter', 'explain', f))), `${f} differs between 1 and 2 workers`);
    }
    const lines = trace(out);
    // Every document the reader yielded has its line, in input order.
    for (const task of [0, 1]) {
      const records = lines.filter((l) => l.task === task).map((l) => l.record);
      assert.deepEqual(records, [...records].sort((a, b) => a - b));
    }

    await t.test('a kept document: its source record, every stage, its final row', async () => {
      const { documents, traced } = explainJson(out, original.id);
      assert.equal(traced, true);
      assert.equal(documents.length, 1);
      const e = documents[0]!;
      assert.equal(e.fate.kept, true);
      assert.equal(e.source.input, parts[0]);
      assert.equal(e.source.offset, original.offset);
      // The offset is the record's: its WARC header names this id, and `record` counts the records before it.
      const at = readFileSync(parts[0]!).subarray(e.source.offset!, e.source.offset! + 2000).toString('latin1');
      assert.match(at, /^WARC\/1\.\d\r\n/);
      assert.ok(at.includes(`WARC-Record-ID: ${e.id}`), 'the record at the offset is another');
      const before = readFileSync(parts[0]!).subarray(0, e.source.offset!).toString('latin1');
      assert.equal(e.source.record, (before.match(/(^|\r\n\r\n)WARC\/1\.\d\r\n/g) ?? []).length);
      assert.deepEqual(e.stages.map((s) => s.stage), ['url_filter', 'extract', 'language', 'gopher_repetition', 'gopher_quality', 'line_corrections', 'token_count']);
      assert.ok(e.stages.every((s) => s.result === 'kept'));
      const lang = e.stages.find((s) => s.stage === 'language')!;
      assert.equal(lang.options.min_score, 0.65);
      assert.ok(lang.measured.language_score! >= 0.65, JSON.stringify(lang.measured));
      assert.equal(e.stagesNote, undefined);
      assert.deepEqual(e.passes.map((p) => [p.pass, p.result]), [['minhash_filter', 'kept'], ['exact_substring', 'kept'], ['url_dedup', 'kept']]);
      // The final row holds it.
      const finalRows = await rows(join(out, e.final!.file), ['id']);
      assert.equal(finalRows[e.final!.row]!.id, e.id);
      // The copy was removed in its favour.
      const mh = e.passes[0]!;
      assert.equal(mh.facts?.cluster_size, 2);
      assert.deepEqual(mh.related?.map((r) => r.url), [copyUrl]);
      const text = refinery(['explain', out, original.id]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`record ${e.source.record}, byte offset ${e.source.offset}`));
      assert.match(text.stdout, /fate {4}kept/);
      assert.ok(text.stdout.includes(`final   ${e.final!.file} row ${e.final!.row}`));
    });

    await t.test('a document a filter removed: the stage, its value against the threshold', () => {
      const dropped = lines.find((l) => l.stage === 'gopher_repetition' && l.reason === 'dup_para_frac');
      assert.ok(dropped, 'no document removed by gopher_repetition for dup_para_frac');
      const e = explainJson(out, dropped.id).documents[0]!;
      assert.equal(e.fate.kept, false);
      const last = e.stages.at(-1)!;
      assert.deepEqual([last.stage, last.result, last.reason, last.value, last.detail], ['gopher_repetition', 'removed', dropped.reason, dropped.value, dropped.detail]);
      assert.deepEqual(e.recorded, { stage: 'gopher_repetition', reason: dropped.reason, value: dropped.value, detail: dropped.detail });
      assert.equal(e.passes.length, 0);
      assert.equal(e.stagesNote, undefined);
      // The threshold it broke is among the stage's options, and the measured value is the recorded one.
      const [value, threshold] = dropped.detail!.split(/[<>]=?/).map(Number) as [number, number];
      assert.equal(last.options[dropped.reason!], threshold);
      assert.equal(Math.round(last.measured[dropped.reason!]! * 1e4) / 1e4, value);
      const text = refinery(['explain', out, dropped.url]);
      assert.match(text.stdout, new RegExp(`gopher_repetition +REMOVED +${dropped.reason}: ${dropped.detail!.replace('.', '\\.')}`));
      assert.match(text.stdout, /fate {4}removed by gopher_repetition/);
    });

    await t.test('a MinHash duplicate names its cluster and the document kept in its place', () => {
      const e = explainJson(out, copyUrl).documents[0]!;
      assert.equal(e.fate.kept, false);
      assert.equal(e.fate.stage, 'minhash_filter');
      const mh = e.passes[0]!;
      assert.equal(mh.result, 'removed');
      assert.equal(mh.reason, 'minhash_duplicate');
      assert.equal(mh.facts?.cluster_size, 2);
      assert.deepEqual(mh.related?.map((r) => [r.role.startsWith('kept in its place'), r.id, r.url]), [[true, original.id, original.url]]);
      const text = refinery(['explain', out, copyUrl]).stdout;
      assert.ok(text.includes(`kept in its place (cluster survivor): ${original.id} ${original.url}`), text);
    });

    await t.test('two captures of a URL: both listed, URL dedup names the one that kept it', () => {
      const { documents } = explainJson(out, otherCapture.url);
      assert.equal(documents.length, 2);
      const kept = documents.filter((d) => d.fate.kept);
      const removed = documents.filter((d) => !d.fate.kept);
      assert.equal(kept.length, 1);
      assert.equal(removed.length, 1);
      const ud = removed[0]!.passes.at(-1)!;
      assert.deepEqual([ud.pass, ud.result, ud.reason], ['url_dedup', 'removed', 'duplicate_url']);
      assert.deepEqual(ud.related?.map((r) => [r.role, r.id]), [['kept this URL', kept[0]!.id]]);
      const back = kept[0]!.passes.at(-1)!.related?.map((r) => [r.role, r.id]);
      assert.deepEqual(back, [['removed for the same URL', removed[0]!.id]]);
      assert.match(refinery(['explain', out, otherCapture.url]).stdout, /^2 documents match /);
    });

    await t.test('the spans exact substring cut, as character ranges of the text it read', async () => {
      const spansDir = join(out, 'exact_substring', 'spans');
      const recorded = readdirSync(spansDir).flatMap((f) => readFileSync(join(spansDir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string }));
      assert.ok(recorded.length > 0, 'exact substring cut nothing');
      const cut = explainJson(out, recorded[0]!.id).documents[0]!;
      const step = cut.passes.find((p) => p.pass === 'exact_substring')!;
      const text = String((await rows(join(out, step.input.file), ['content']))[step.input.row]!.content);
      assert.equal(step.spans!.length, recorded.filter((r) => r.id === cut.id).length);
      for (const s of step.spans!) assert.equal(text.slice(s.start, s.end), s.text);
      const cutChars = step.spans!.reduce((a, s) => a + s.end - s.start, 0);
      if (step.result === 'kept') assert.equal(step.charsOut, step.charsIn! - cutChars);
    });

    await t.test('unknown documents and run directories: clear errors, exit 2', () => {
      const nodoc = refinery(['explain', out, '<urn:uuid:not-in-the-run>']);
      assert.equal(nodoc.code, 2);
      assert.match(nodoc.stderr, /no document with id or URL "<urn:uuid:not-in-the-run>"/);
      const norun = refinery(['explain', join(dir, 'nothing-here'), original.id]);
      assert.equal(norun.code, 2);
      assert.match(norun.stderr, /is not a run directory/);
      const usage = refinery(['explain', out]);
      assert.equal(usage.code, 2);
      const help = refinery(['explain', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /refinery explain <run-dir/);
    });

    await t.test('without --explain: a kept document is still found and explained', () => {
      const plain = join(dir, 'plain');
      const r = refinery(['run', config, '-i', ...parts, '-o', plain, '-w', '2', '-q']);
      assert.equal(r.code, 0, r.stderr);
      const { documents, traced } = explainJson(plain, original.id);
      assert.equal(traced, false);
      const e = documents[0]!;
      assert.equal(e.fate.kept, true);
      assert.equal(e.source.offset, original.offset);
      assert.equal(e.stages.length, 7);
      const gone = refinery(['explain', plain, lines.find((l) => l.stage === 'gopher_repetition')!.id]);
      assert.equal(gone.code, 2);
      assert.match(gone.stderr, /rerun with --explain/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
