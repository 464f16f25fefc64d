/**
 * `refinery extract <file.html ...|->`: how a user sees what the extractor keeps of a page.
 * Prints one JSON line per input: {file, url?, text, image_urls}. Files may be gzipped
 * (.gz or gzip magic); '-' reads stdin. Options: --url URL (base for image URLs, echoed),
 * --title (put the <title> first), --no-images; --tree prints instead the tree the extractor
 * reads, as a browser builds it (html5lib's test format: one node a line, indented by depth).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeBody } from '../../src/readers/decode.js';
import { extractMainContent, DEFAULT_EXTRACT_OPTIONS } from './extract.js';
import { buildTree } from './html-tree.js';
import { serializeTree } from './html-serialize.js';

const MAX_FILE_BYTES = 256 * 1024 * 1024;
const USAGE = 'usage: refinery extract [--url URL] [--title] [--no-images] [--tree] <file.html[.gz] ...|->';

async function readInput(file: string): Promise<Buffer> {
  let buf: Buffer;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    buf = Buffer.concat(chunks);
  } else {
    buf = readFileSync(file);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  return buf;
}

export async function extractCommand(argv: string[]): Promise<number> {
  const files: string[] = [];
  let url: string | undefined;
  let includeTitle = false;
  let includeImages = true;
  let tree = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') url = argv[++i];
    else if (a === '--title') includeTitle = true;
    else if (a === '--no-images') includeImages = false;
    else if (a === '--tree') tree = true;
    else if (a === '-h' || a === '--help') { console.log(USAGE); return 0; }
    else if (a.startsWith('--')) { console.error(`refinery extract: unknown option ${a}\n${USAGE}`); return 2; }
    else files.push(a);
  }
  if (files.length === 0) { console.error(USAGE); return 2; }
  let failed = 0;
  for (const file of files) {
    let html: string;
    try {
      // charset: BOM, else <meta>, else UTF-8 (the WARC reader's decoder, without HTTP headers)
      html = decodeBody(await readInput(file), {}, MAX_FILE_BYTES).html;
    } catch (err) {
      console.error(`refinery extract: ${file}: ${(err as Error).message}`);
      failed++;
      continue;
    }
    if (tree) {
      const t = buildTree(html.slice(0, DEFAULT_EXTRACT_OPTIONS.maxHtmlChars), { maxNodes: DEFAULT_EXTRACT_OPTIONS.maxNodes, full: true });
      process.stdout.write(`# ${file}${t.truncated ? ' (node budget hit: the tree stops there)' : ''}\n${serializeTree(t)}\n`);
      continue;
    }
    const r = extractMainContent(html, url ?? '', { includeTitle, includeImages });
    const line: Record<string, unknown> = { file };
    if (url !== undefined) line.url = url;
    line.text = r.text;
    line.image_urls = r.imageUrls;
    process.stdout.write(JSON.stringify(line) + '\n');
  }
  return failed ? 1 : 0;
}
