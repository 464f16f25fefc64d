import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMONCRAWL_BASE_URL, expandInputSources, expandInputs, openInput, openStorage } from '../src/storage/open.js';
import { RefineryError } from '../src/errors.js';
import { sharedData } from '../src/paths.js';
import { startRangeServer } from './helpers/range-server.js';

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function tree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-inputs-'));
  await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
  for (const f of ['b.warc.gz', 'a.warc.gz', 'c.txt', 'x.arc.gz', 'sub/d.jsonl', 'sub/e.parquet', 'sub/deeper/f.warc', 'sub/g.jsonl.zst', 'sub/h.warc.gz.tmp-abc']) {
    await writeFile(join(dir, f), f);
  }
  return dir;
}

test('expandInputs: globs match files, sorted; a glob matching nothing is ERR_INPUT', async () => {
  const dir = await tree();
  try {
    assert.deepEqual(await expandInputs([join(dir, '*.warc.gz')]), [join(dir, 'a.warc.gz'), join(dir, 'b.warc.gz')]);
    assert.deepEqual(await expandInputs([join(dir, '**/*.{jsonl,warc}')]), [join(dir, 'sub/d.jsonl'), join(dir, 'sub/deeper/f.warc')]);
    await assert.rejects(expandInputs([join(dir, '*.nothing')]), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_INPUT');
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('expandInputs: a directory gives its WARC/ARC/JSONL/Parquet files recursively; duplicates collapse', async () => {
  const dir = await tree();
  try {
    const expected = ['a.warc.gz', 'b.warc.gz', 'sub/d.jsonl', 'sub/deeper/f.warc', 'sub/e.parquet', 'sub/g.jsonl.zst', 'x.arc.gz'].map((f) => join(dir, f));
    assert.deepEqual(await expandInputs([dir]), expected, 'no .txt, no temp files');
    assert.deepEqual(await expandInputs([join(dir, 'a.warc.gz'), dir, `file://${join(dir, 'a.warc.gz')}`]), expected);
    const sized = await expandInputSources([dir, join(dir, '*.arc.gz')]);
    assert.deepEqual(sized.map((i) => i.uri), expected);
    assert.ok(sized.every((i) => i.size === i.uri.length - dir.length - 1), 'each file holds its own relative name: size = name length');
    await assert.rejects(expandInputs([join(dir, 'missing.warc.gz')]), { code: 'ERR_INPUT' });
    await assert.rejects(expandInputs([join(dir, 'sub', 'deeper', 'none')]), { code: 'ERR_INPUT' });
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('expandInputs: links in a directory count as the files they point to; dangling and folder links do not', async () => {
  const dir = await tree();
  const links = await mkdtemp(join(tmpdir(), 'refinery-links-'));
  try {
    await symlink(join(dir, 'a.warc.gz'), join(links, 'copy-1.warc.gz'));
    await symlink(join(dir, 'b.warc.gz'), join(links, 'copy-2.warc.gz'));
    await symlink(join(dir, 'gone.warc.gz'), join(links, 'dangling.warc.gz'));
    await symlink(join(dir, 'sub'), join(links, 'folder.warc'));
    assert.deepEqual(await expandInputs([links]), [join(links, 'copy-1.warc.gz'), join(links, 'copy-2.warc.gz')]);
  } finally {
    await rm(dir, { recursive: true });
    await rm(links, { recursive: true });
  }
});

test('expandInputs: a CommonCrawl paths.gz listing resolves relative lines against the base URL', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-listing-'));
  try {
    const lines = [
      'crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc/CC-MAIN-20240517233122-20240518023122-00001.warc.gz',
      'crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc/CC-MAIN-20240517233122-20240518023122-00000.warc.gz',
    ];
    const gz = join(dir, 'warc.paths.gz');
    await writeFile(gz, gzipSync(lines.join('\n') + '\n'));
    assert.deepEqual(await expandInputs([gz]), [...lines].sort().map((l) => `${COMMONCRAWL_BASE_URL}${l}`));
    assert.deepEqual(await expandInputs([gz], { baseUrl: 's3://commoncrawl' }), [...lines].sort().map((l) => `s3://commoncrawl/${l}`));
    assert.deepEqual(await expandInputs([gz], { baseUrl: '/data/cc' }), [...lines].sort().map((l) => `/data/cc/${l}`));

    const plain = join(dir, 'local.paths');
    await writeFile(plain, `# a comment\n${lines[0]}\r\n\nhttps://example.org/other.warc.gz\n`);
    assert.deepEqual(await expandInputs([plain]), [`${COMMONCRAWL_BASE_URL}${lines[0]}`, 'https://example.org/other.warc.gz']);

    // The same listing fetched over HTTP.
    const server = await startRangeServer(gzipSync(lines.join('\n')));
    try {
      assert.deepEqual(await expandInputs([`${server.url}/crawl-data/CC-MAIN-2024-22/warc.paths.gz`], { baseUrl: 'https://mirror.example/cc/' }), [
        ...[...lines].sort().map((l) => `https://mirror.example/cc/${l}`),
      ]);
    } finally {
      await server.stop();
    }

    await writeFile(join(dir, 'bad.paths.gz'), 'not gzip at all');
    await assert.rejects(expandInputs([join(dir, 'bad.paths.gz')]), { code: 'ERR_INPUT' });
  } finally {
    await rm(dir, { recursive: true });
  }
});

const realListing = sharedData('warc', 'real', 'CC-MAIN-2024-22.warc.paths.gz');
test('expandInputs: the real CC-MAIN-2024-22 listing gives one https URL per line', { skip: !realListing && 'shared data absent' }, async () => {
  const lines = gunzipSync(readFileSync(realListing!)).toString('utf8').split('\n').filter(Boolean);
  const got = await expandInputs([realListing!]);
  assert.equal(got.length, new Set(lines).size);
  assert.deepEqual(got, [...new Set(lines)].map((l) => new URL(l, COMMONCRAWL_BASE_URL).toString()).sort());
  assert.ok(got.every((u) => u.startsWith('https://data.commoncrawl.org/')));
});

test('openInput: local files (name, size, ranged read) and http URLs stream the same bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-open-'));
  const data = Buffer.from('0123456789'.repeat(1000));
  const server = await startRangeServer(data);
  try {
    const path = join(dir, 'CC-MAIN-2024-22-x.warc.gz');
    await writeFile(path, data);
    const local = await openInput(path);
    assert.equal(local.name, 'CC-MAIN-2024-22-x.warc.gz');
    assert.equal(local.size, data.length);
    assert.ok((await collect(local.read())).equals(data));
    assert.equal((await collect(local.read({ start: 5, end: 12 }))).toString(), '5678901');

    const remote = await openInput(`${server.url}/crawl-data/CC-MAIN-2024-22-x.warc.gz?sig=1`);
    assert.equal(remote.name, 'CC-MAIN-2024-22-x.warc.gz');
    assert.ok((await collect(remote.read())).equals(data));
    assert.equal((await collect(remote.read({ start: 5, end: 12 }))).toString(), '5678901');

    await assert.rejects(openInput(join(dir, 'nope.warc.gz')), { code: 'ERR_INPUT' });
    await assert.rejects(openInput(dir), { code: 'ERR_INPUT' });
  } finally {
    await server.stop();
    await rm(dir, { recursive: true });
  }
});

test('openStorage: a local directory is Storage with atomic writes; http is not writable', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-store-'));
  try {
    const store = openStorage(join(dir, 'run'));
    const w = await store.create('pass/data/0.parquet');
    await w.write(Buffer.from('abc'));
    assert.equal(await store.exists('pass/data/0.parquet'), false);
    await w.commit();
    assert.equal((await store.readAll('pass/data/0.parquet')).toString(), 'abc');
    assert.throws(() => openStorage('https://example.org/out'), { code: 'ERR_INPUT' });
  } finally {
    await rm(dir, { recursive: true });
  }
});
