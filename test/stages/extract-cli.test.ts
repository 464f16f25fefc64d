import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractCommand } from '../../stages/extract/cli.js';

async function capture(run: () => Promise<number>): Promise<{ code: number; lines: string[] }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((c: string | Uint8Array) => { chunks.push(String(c)); return true; }) as typeof process.stdout.write;
  try {
    const code = await run();
    return { code, lines: chunks.join('').split('\n').filter(Boolean) };
  } finally {
    process.stdout.write = write;
  }
}

const PARA = 'The council approved the new library building after a long and sometimes heated public meeting.';

test('refinery extract: one JSON line {file, url?, text, image_urls} per file, plain or gzipped, any charset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-extract-'));
  try {
    const plain = join(dir, 'a.html');
    writeFileSync(plain, `<html><body><nav><a href="/">Home</a></nav><article><p>${PARA}</p><img src="x.png" alt="X"></article></body></html>`);
    const gz = join(dir, 'b.html.gz');
    writeFileSync(gz, gzipSync(Buffer.concat([Buffer.from('<meta charset="iso-8859-1"><p>caf'), Buffer.from([0xe9]), Buffer.from(` ${PARA}</p>`)])));
    const { code, lines } = await capture(() => extractCommand(['--url', 'https://example.org/news/', plain, gz]));
    assert.equal(code, 0);
    assert.equal(lines.length, 2);
    const a = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(a), ['file', 'url', 'text', 'image_urls']);
    assert.equal(a.text, PARA);
    assert.deepEqual(a.image_urls, [['https://example.org/news/x.png', 'X']]);
    assert.equal(JSON.parse(lines[1]).text, `café ${PARA}`);
    // a missing file is reported and counted, the others still print
    const bad = await capture(() => extractCommand([join(dir, 'missing.html'), plain]));
    assert.equal(bad.code, 1);
    assert.equal(bad.lines.length, 1);
    assert.equal((await capture(() => extractCommand([]))).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refinery extract --tree: the tree as a browser builds it, in html5lib\'s format', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-extract-'));
  try {
    const f = join(dir, 'a.html');
    writeFileSync(f, '<head><title>t</title><body class=x><p>a<b>b<i>c</b>d');
    const { code, lines } = await capture(() => extractCommand(['--tree', f]));
    assert.equal(code, 0);
    assert.deepEqual(lines.slice(1), ['| <html>', '|   <head>', '|     <title>', '|       "t"', '|   <body>', '|     class="x"',
      '|     <p>', '|       "a"', '|       <b>', '|         "b"', '|         <i>', '|           "c"', '|       <i>', '|         "d"']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
