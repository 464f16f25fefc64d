// TEMPORARY local-only version (replaced by the `storage` branch: s3 and https too).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { localStorage } from './local.js';
import { localInput, type InputSource } from '../readers/input.js';
import type { Storage } from './storage.js';
export function openStorage(location: string): Storage { return localStorage(location); }
export function openInput(uri: string): InputSource { return localInput(uri); }
export async function expandInputs(sources: string[], _opts: { baseUrl?: string } = {}): Promise<string[]> {
  const out: string[] = [];
  for (const s of sources) {
    if (statSync(s).isDirectory()) for (const f of readdirSync(s)) { if (/\.(warc|arc|jsonl|parquet)/.test(f)) out.push(join(s, f)); }
    else out.push(s);
  }
  return out.sort();
}
