/**
 * `refinery extract <file.html ...|->`: how a user sees what the extractor keeps of a page.
 * Prints one JSON line per input: {file, url?, text, image_urls}. Files may be gzipped
 * (.gz or gzip magic); '-' reads stdin. Options: --url URL (base for image URLs, echoed),
 * --title (put the <title> first), --no-images.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeBody } from '../../src/readers/decode.js';
import { extractMainContent } from './extract.js';

const MAX_FILE_BYTES = 256 * 1024 * 1024;
const USAGE = 'usage: refinery extract [--url URL] [--title] [--no-images] <file.html[.gz] ...|->';

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
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') url = argv[++i];
    else if (a === '--title') includeTitle = true;
    else if (a === '--no-images') includeImages = false;
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
    const r = extractMainContent(html, url ?? '', { includeTitle, includeImages });
    const line: Record<string, unknown> = { file };
    if (url !== undefined) line.url = url;
    line.text = r.text;
    line.image_urls = r.imageUrls;
    process.stdout.write(JSON.stringify(line) + '\n');
  }
  return failed ? 1 : 0;
}
