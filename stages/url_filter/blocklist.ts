/**
 * A set of millions of blocklist entries (UT1 domains and URLs) held as 64-bit fingerprints
 * in an open-addressing table: two Uint32Arrays plus one byte of category per slot (9 bytes
 * a slot, load factor at most 0.7: 16.5 bytes an entry measured at 4.6M), no JS string per
 * entry. Loading streams the
 * files (plain or gzip) and hashes bytes as they arrive; a lookup hashes the candidate and
 * probes: O(1). Two different entries share a fingerprint with probability ~n/2^64 per lookup
 * (4.6M entries: ~2.5e-13), which is the only inexactness.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { createGunzip } from 'node:zlib';

const SEED1 = 0x811c9dc5;
const SEED2 = 0x2545f491;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A streaming hasher of one entry's bytes: lowercases ASCII, ignores whitespace, drops trailing `/`. */
class EntryHasher {
  h1 = SEED1;
  h2 = SEED2;
  len = 0;
  pendingSlashes = 0;
  reset(): void {
    this.h1 = SEED1;
    this.h2 = SEED2;
    this.len = 0;
    this.pendingSlashes = 0;
  }
  private mix(b: number): void {
    this.h1 = Math.imul(this.h1 ^ b, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ b, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 15;
    this.len++;
  }
  byte(b: number): void {
    if (b === 0x2f) {
      this.pendingSlashes++;
      return;
    }
    for (; this.pendingSlashes > 0; this.pendingSlashes--) this.mix(0x2f);
    this.mix(b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
  }
  /** The fingerprint, as two 32-bit halves (never both 0). */
  finish(): [number, number] {
    const a = fmix(this.h1 ^ this.len);
    const b = fmix(this.h2 ^ Math.imul(this.len, 0x9e3779b1)) | 1;
    return [a, b >>> 0];
  }
}

const scratch = new EntryHasher();

/** Fingerprint of a string entry, hashed exactly as a file line is (UTF-8 bytes, lowercased ASCII). */
export function fingerprint(s: string): [number, number] {
  scratch.reset();
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u >= 0x80) return fingerprintBytes(Buffer.from(s, 'utf8'));
    if (u > 0x20) scratch.byte(u);
  }
  return scratch.finish();
}

function fingerprintBytes(buf: Uint8Array): [number, number] {
  scratch.reset();
  for (let i = 0; i < buf.length; i++) if (buf[i]! > 0x20) scratch.byte(buf[i]!);
  return scratch.finish();
}

export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** category index + 1 of the entry (0 = empty slot) */
  private tag: Uint8Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let cap = 1024;
    while (cap * 0.7 < expected) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.tag = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.tag.byteLength;
  }

  /** Make room for `extra` more entries at once (avoids rehashing while a big list loads). */
  reserve(extra: number): void {
    while ((this.size + extra) > (this.mask + 1) * 0.7) this.grow();
  }

  add(h: number, l: number, category: number): void {
    if ((this.size + 1) > (this.mask + 1) * 0.7) this.grow();
    let s = (h ^ Math.imul(l, 0x9e3779b1)) & this.mask;
    for (;;) {
      if (this.tag[s] === 0) {
        this.hi[s] = h;
        this.lo[s] = l;
        this.tag[s] = category + 1;
        this.size++;
        return;
      }
      if (this.hi[s] === h && this.lo[s] === l) return; // already there: first category wins
      s = (s + 1) & this.mask;
    }
  }

  /** The category index of the entry, or -1. */
  get(h: number, l: number): number {
    let s = (h ^ Math.imul(l, 0x9e3779b1)) & this.mask;
    for (;;) {
      const t = this.tag[s]!;
      if (t === 0) return -1;
      if (this.hi[s] === h && this.lo[s] === l) return t - 1;
      s = (s + 1) & this.mask;
    }
  }

  private grow(): void {
    const { hi, lo, tag } = this;
    const cap = (this.mask + 1) * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.tag = new Uint8Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < tag.length; i++) if (tag[i] !== 0) this.add(hi[i]!, lo[i]!, tag[i]! - 1);
  }
}

/** Add every line of a (plain or .gz) list file to `set`; returns the number of entries read. */
export async function loadListFile(path: string, set: FingerprintSet, category: number): Promise<number> {
  // UT1 lines average ~20 bytes; gzip shrinks lists 2-4x. An estimate (low on purpose): the table grows if short.
  set.reserve(Math.floor((statSync(path).size * (path.endsWith('.gz') ? 2 : 1)) / 24));
  const stream = path.endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path, { highWaterMark: 1 << 20 });
  // The EntryHasher's steps, inlined on locals: this loop runs once per byte of the lists.
  let h1 = SEED1;
  let h2 = SEED2;
  let len = 0;
  let slashes = 0;
  let atLineStart = true;
  let comment = false;
  let entries = 0;
  const end = () => {
    if (!comment && len > 0) {
      set.add(fmix(h1 ^ len), (fmix(h2 ^ Math.imul(len, 0x9e3779b1)) | 1) >>> 0, category);
      entries++;
    }
    h1 = SEED1;
    h2 = SEED2;
    len = 0;
    slashes = 0;
    atLineStart = true;
    comment = false;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      let b = chunk[i]!;
      if (b === 0x0a) {
        end();
        continue;
      }
      if (comment || b <= 0x20) continue;
      if (atLineStart) {
        atLineStart = false;
        if (b === 0x23 /* # */) {
          comment = true;
          continue;
        }
      }
      if (b === 0x2f) {
        slashes++;
        continue;
      }
      for (; slashes > 0; slashes--) {
        h1 = Math.imul(h1 ^ 0x2f, 0x01000193);
        h2 = Math.imul(h2 ^ 0x2f, 0x5bd1e995);
        h2 ^= h2 >>> 15;
        len++;
      }
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      h1 = Math.imul(h1 ^ b, 0x01000193);
      h2 = Math.imul(h2 ^ b, 0x5bd1e995);
      h2 ^= h2 >>> 15;
      len++;
    }
  }
  end();
  return entries;
}

/** The UT1 layout: category folders holding `domains` and `urls` files (each plain or .gz). */
export interface Blocklist {
  domains: FingerprintSet;
  urls: FingerprintSet;
  categories: string[];
  /** Entries read per file kind (duplicates included). */
  read: { domains: number; urls: number };
}

function listFile(dir: string, name: string): string | undefined {
  for (const f of [name, `${name}.gz`]) if (existsSync(join(dir, f))) return join(dir, f);
  return undefined;
}

/**
 * Load UT1-style folders. A folder is either one category (it has a `domains` or `urls` file)
 * or holds category folders; `categories` (empty = all) selects which are loaded.
 */
export async function loadBlocklist(dirs: string[], categories: string[], loadUrls = true): Promise<Blocklist> {
  const bl: Blocklist = { domains: new FingerprintSet(), urls: new FingerprintSet(), categories: [], read: { domains: 0, urls: 0 } };
  const wanted = new Set(categories);
  const catFolders: string[] = [];
  for (const dir of dirs) {
    if (listFile(dir, 'domains') || listFile(dir, 'urls')) catFolders.push(dir);
    else {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        if (statSync(p).isDirectory() && (listFile(p, 'domains') || listFile(p, 'urls'))) catFolders.push(p);
      }
    }
  }
  for (const folder of catFolders) {
    const cat = basename(folder);
    if (wanted.size > 0 && !wanted.has(cat)) continue;
    let idx = bl.categories.indexOf(cat);
    if (idx < 0) {
      if (bl.categories.length >= 255) throw new Error('url_filter: more than 255 blocklist categories');
      idx = bl.categories.push(cat) - 1;
    }
    const d = listFile(folder, 'domains');
    if (d) bl.read.domains += await loadListFile(d, bl.domains, idx);
    const u = loadUrls ? listFile(folder, 'urls') : undefined;
    if (u) bl.read.urls += await loadListFile(u, bl.urls, idx);
  }
  return bl;
}
