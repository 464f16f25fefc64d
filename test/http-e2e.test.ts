// A WARC read over HTTP from a server that drops the connection once mid-file: the run resumes
// with a Range request and its output is identical to reading the local file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { readParquetRows } from '../src/formats/parquet.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { main } from '../src/cli/main.js';
import { startRangeServer } from './helpers/range-server.js';
import { projectDir } from './helpers/cli.js';

const bench = sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');
const registryModule = new URL('../stages/index.js', import.meta.url).href;

test('an HTTP input that drops mid-file is resumed by Range: output identical to the local file', { skip: !bench && 'shared data absent', timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-http-'));
  const bytes = readFileSync(bench!);
  const server = await startRangeServer(bytes, { dropOnceAt: Math.floor(bytes.length * 0.6) });
  try {
    const config = join(projectDir, 'test/fixtures/pipeline-small.yaml');
    // The same CommonCrawl-shaped path on both sides: dump and segment come from it.
    const path = `crawl-data/CC-MAIN-2023-06/segments/1674764494826.10/warc/${bench!.replace(/^.*\//, '')}`;
    const url = `${server.url}/${path}`;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    symlinkSync(bench!, join(dir, path));
    assert.equal(await main(['run', config, '-i', url, '-o', join(dir, 'http'), '-q'], { registryModule }), 0);
    assert.equal(await main(['run', config, '-i', join(dir, path), '-o', join(dir, 'local'), '-q'], { registryModule }), 0);
    assert.ok(server.requests.length >= 2, 'the dropped connection was followed by another request');
    assert.match(server.requests[1]!.range ?? '', /^bytes=\d+-$/);
    const a = JSON.parse(readFileSync(join(dir, 'http/final/manifest.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'local/final/manifest.json'), 'utf8'));
    assert.ok(b.rows > 0);
    const rows = [];
    for await (const r of readParquetRows(readFileSync(join(dir, 'http/final/part-00000.parquet')))) rows.push(r);
    assert.equal(rows[0]!.dump, 'CC-MAIN-2023-06');
    assert.equal(rows[0]!.segment, '1674764494826.10');
    assert.deepEqual(a, b);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
