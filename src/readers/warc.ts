// TEMPORARY minimal reader (replaced by the full reader from the `warc` branch).
import { WARCParser } from 'warcio';
import type { Doc } from '../doc.js';
import type { ReaderStats } from '../stats.js';

export interface WarcReadOptions { file: string; maxPageBytes: number; maxInflatedBytes: number }

export async function* readWarcDocs(input: AsyncIterable<Uint8Array>, opts: WarcReadOptions, stats: ReaderStats): AsyncGenerator<Doc> {
  const parser = new WARCParser(input);
  for await (const rec of parser) {
    stats.records++;
    if (rec.warcType !== 'response' || rec.httpHeaders?.statusCode !== 200) {
      stats.skipped.other = (stats.skipped.other ?? 0) + 1;
      await rec.skipFully();
      continue;
    }
    const body = await rec.contentText();
    stats.docs++;
    yield { id: rec.warcHeader('WARC-Record-ID') ?? '', url: rec.warcTargetURI ?? '', text: '', html: body, timestamp: rec.warcDate ?? undefined, meta: {}, source: { file: opts.file, offset: parser.offset } };
  }
}
