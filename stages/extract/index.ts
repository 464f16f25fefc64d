/**
 * The `extract` stage (spec §2): a WARC document's decoded HTML becomes its main text and the
 * images of its main content; the HTML is dropped. A page with no main text left (listings,
 * login walls, empty shells) is removed with reason `empty_extraction`, one with less than
 * `min_text_chars` characters with `too_little_text`.
 */
import { int } from '../../src/options.js';
import type { StageModule } from '../../src/stage.js';
import { dropFor } from '../../src/stage.js';
import { extractMainContent } from './extract.js';

export interface ExtractConfig {
  /** Put the page's <title> as the first line of the text. */
  include_title: boolean;
  /** Fill `image_urls` with `[src, alt]` of the main content's images. */
  include_images: boolean;
  /** Per-document budget: HTML past this many characters is not read (counted `budget_html_chars`). */
  max_html_chars: number;
  /** Per-document budget: the parsed tree stops at this many nodes (counted `budget_nodes`). */
  max_nodes: number;
  /** Drop a document whose extracted text is shorter than this (0 = keep empty texts). */
  min_text_chars: number;
}

export const extractStage: StageModule<ExtractConfig> = {
  name: 'extract',
  description: 'HTML -> main-content text and image URLs (boilerplate removed); drops pages with no main text',
  defaults: {
    include_title: false,
    include_images: true,
    max_html_chars: 8_000_000,
    max_nodes: 400_000,
    min_text_chars: 1,
  },
  ranges: { max_html_chars: int(1), max_nodes: int(1), min_text_chars: int(0) },
  create(config, ctx) {
    const options = {
      includeTitle: config.include_title,
      includeImages: config.include_images,
      maxHtmlChars: config.max_html_chars,
      maxNodes: config.max_nodes,
    };
    return {
      name: 'extract',
      apply(doc) {
        const html = doc.html;
        if (html === undefined) return doc; // already text (JSONL / Parquet input)
        delete doc.html;
        const r = extractMainContent(html, doc.url, options);
        if (r.budgetHit) ctx.count(`budget_${r.budgetHit}`);
        doc.text = r.text;
        doc.imageUrls = r.imageUrls;
        ctx.observe('extract_ratio', html.length > 0 ? r.text.length / html.length : 0);
        if (r.text.length === 0 && config.min_text_chars > 0) return { reason: 'empty_extraction', value: 0 };
        if (r.text.length < config.min_text_chars) return dropFor('too_little_text', r.text.length, '<', config.min_text_chars);
        return doc;
      },
    };
  },
};

export { extractMainContent, DEFAULT_EXTRACT_OPTIONS, type ExtractOptions, type Extraction } from './extract.js';
