/**
 * `refinery tokenize <run>`: the tokenize passes on a finished run (its final documents), for
 * a run whose config did not have them or for a second tokenizer. Tasks run in this process,
 * one after another; finished ones are skipped on a rerun, like any pass.
 * `refinery tokens <dir>`: what a training job will read: the manifest's figures, per-shard
 * statistics checked against the .idx files, and `--decode N` prints document N back as text.
 */
import { parseTargetCommand, wholeNumberArg } from '../../src/cli/args.js';
import { openStorage } from '../../src/storage/open.js';
import { readManifest } from '../../src/run-dir.js';
import { finalDocsFolder } from '../../src/corpus.js';
import { runPassTask } from '../../src/task.js';
import { RefineryError } from '../../src/errors.js';
import type { Registry } from '../../src/config.js';
import type { Storage } from '../../src/storage/storage.js';
import type { CorpusPass, PassContext } from '../../src/pass.js';
import { validateOptions } from '../../src/options.js';
import { readByteRange } from '../../src/pass-io.js';
import { tokenize, TOKENIZE_DEFAULTS, tokenizePasses, tokenizerOf, type TokenizeOptions, type TokensManifest } from './index.js';
import { decodeIndex, DTYPE } from './megatron.js';

export const TOKENIZE_USAGE = `usage: refinery tokenize <run-dir|s3://...> [--tokenizer gpt2|path/tokenizer.json] [--end-token T]
                         [--dir tokens] [--shuffle [--shuffle-buckets M]] [--seed S]
  Writes <run>/<dir>/part-*.bin/.idx (Megatron-LM indexed dataset) and <dir>/manifest.json from
  the run's final documents. Default tokenizer gpt2, dir "tokens" (or "tokens-<name>" for another
  tokenizer, so shards of two tokenizers never mix). --shuffle: documents in a seeded random order
  across all shards (M output shards, default one per input shard).`;

export const TOKENS_USAGE = `usage: refinery tokens <tokens-dir|s3://...> [--decode N] [--json]
  Prints the tokenizer, dtype and per-shard documents and tokens (checked against each .idx);
  --decode N prints document N (0-based, over the shards in manifest order) decoded to text.`;

/** Usage to stdout when asked for (--help), else to stderr with the error. */
const usageLog = (argv: string[]) => (line: string) => (argv.includes('--help') || argv.includes('-h') ? console.log(line) : console.error(line));

async function loadRegistry(): Promise<Registry> {
  // Dynamic: the registry imports this module for its command table.
  return (await import('../index.js')) as Registry;
}

export async function tokenizeCommand(argv: string[]): Promise<number> {
  const parsed = parseTargetCommand(
    'tokenize',
    TOKENIZE_USAGE,
    argv,
    {
      tokenizer: { type: 'string' },
      'end-token': { type: 'string' },
      dir: { type: 'string' },
      shuffle: { type: 'boolean' },
      'shuffle-buckets': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    usageLog(argv),
  );
  if (typeof parsed === 'number') return parsed;
  const { values, target } = parsed;
  const tokenizer = values.tokenizer ?? 'gpt2';
  const defaultDir = tokenizer === 'gpt2' ? 'tokens' : `tokens-${tokenizer.replace(/\/?tokenizer\.json$/, '').split('/').pop() || 'hf'}`;
  const options = validateOptions('tokenize', TOKENIZE_DEFAULTS, {
    tokenizer,
    end_token: values['end-token'] ?? '',
    dir: values.dir ?? defaultDir,
    shuffle: values.shuffle ?? false,
    shuffle_buckets: wholeNumberArg('shuffle-buckets', values['shuffle-buckets']) ?? 0,
    seed: wholeNumberArg('seed', values.seed) ?? 0,
  }, tokenize.ranges) as TokenizeOptions;
  const run = openStorage(target);
  const manifest = await readManifest(run).catch(() => {
    throw new RefineryError('ERR_INPUT', `${target}: not a run directory (no run.json)`);
  });
  const input = finalDocsFolder(manifest.config, await loadRegistry());
  const bookkeeping = `tokenize-${options.dir.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  const passes = tokenizePasses(bookkeeping, false);
  const ctx = { run, input, options, runConfig: manifest.config as unknown as Record<string, unknown>, log: (m: string) => console.error(m) } as PassContext & { options: TokenizeOptions };
  const env = { run, retryCounts: {} } as unknown as Parameters<typeof runPassTask>[0];
  let tokens = 0;
  for (const pass of passes) {
    const count = await pass.plan(ctx);
    for (let rank = 0; rank < count; rank++) {
      const s = await runPassTask(env, pass as unknown as CorpusPass, ctx, rank);
      tokens += s.tokensWritten;
      if (pass === passes[0]) process.stderr.write(`\r${pass.name}: ${rank + 1}/${count} shards, ${tokens.toLocaleString('en-US')} tokens`);
    }
    if (pass === passes[0]) process.stderr.write('\n');
  }
  console.log(`${target}/${options.dir}: ${tokens.toLocaleString('en-US')} tokens (manifest.json lists the shards)`);
  return 0;
}

async function readTokensManifest(dir: Storage, where: string): Promise<TokensManifest> {
  try {
    return JSON.parse((await dir.readAll('manifest.json')).toString('utf8')) as TokensManifest;
  } catch (e) {
    throw new RefineryError('ERR_INPUT', `${where}: no readable manifest.json (${(e as Error).message})`);
  }
}

export async function tokensCommand(argv: string[]): Promise<number> {
  const parsed = parseTargetCommand('tokens', TOKENS_USAGE, argv, { decode: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, usageLog(argv));
  if (typeof parsed === 'number') return parsed;
  const { values, target } = parsed;
  const dir = openStorage(target);
  const m = await readTokensManifest(dir, target);
  const width = DTYPE[m.dtype].bytes;
  const rows: { prefix: string; documents: number; tokens: number; min: number; max: number; mean: number }[] = [];
  const indexes = [];
  for (const f of m.files) {
    const idx = decodeIndex(await dir.readAll(`${f.prefix}.idx`), `${target}/${f.prefix}.idx`);
    if (idx.dtype !== m.dtype) throw new RefineryError('ERR_CORRUPT', `${f.prefix}.idx: dtype ${idx.dtype}, manifest says ${m.dtype}`);
    const sum = idx.lengths.reduce((a, b) => a + b, 0);
    if (idx.lengths.length !== f.documents || sum !== f.tokens || sum * width !== f.bin_bytes) {
      throw new RefineryError('ERR_CORRUPT', `${f.prefix}.idx: ${idx.lengths.length} documents, ${sum} tokens; manifest says ${f.documents}, ${f.tokens}`);
    }
    indexes.push(idx);
    rows.push({ prefix: f.prefix, documents: f.documents, tokens: f.tokens, min: Math.min(...idx.lengths), max: Math.max(...idx.lengths), mean: sum / Math.max(1, f.documents) });
  }
  const n = wholeNumberArg('decode', values.decode);
  if (n !== undefined) {
    let k = n;
    const shard = m.files.findIndex((f) => (k < f.documents ? true : ((k -= f.documents), false)));
    if (shard < 0) throw new RefineryError('ERR_CONFIG', `--decode: document ${n} is past the last (${m.documents - 1})`);
    const idx = indexes[shard]!;
    const start = Number(idx.pointers[k]!);
    const b = await readByteRange(dir, `${m.files[shard]!.prefix}.bin`, start, start + idx.lengths[k]! * width);
    const ids = m.dtype === 'uint16' ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2) : new Int32Array(b.buffer, b.byteOffset, b.length / 4);
    const tok = tokenizerOf({ tokenizer: m.tokenizer.name, end_token: m.tokenizer.end_of_text.token });
    if (tok.fingerprint !== m.tokenizer.sha256) console.error(`warning: ${m.tokenizer.name} is not the tokenizer these shards were made with (sha256 differs)`);
    const body = ids[ids.length - 1] === m.tokenizer.end_of_text.id ? ids.subarray(0, ids.length - 1) : ids;
    if (values.json) console.log(JSON.stringify({ document: n, shard: m.files[shard]!.prefix, index: k, tokens: ids.length, ids: Array.from(ids), text: tok.decode(body) }));
    else process.stdout.write(`document ${n} (${m.files[shard]!.prefix} #${k}, ${ids.length} tokens, ending with ${m.tokenizer.end_of_text.token}):\n${tok.decode(body)}\n`);
    return 0;
  }
  if (values.json) {
    console.log(JSON.stringify({ ...m, shards: rows }));
    return 0;
  }
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`tokenizer ${m.tokenizer.name} (vocabulary ${fmt(m.tokenizer.vocab_size)}, documents end with ${m.tokenizer.end_of_text.token} = ${m.tokenizer.end_of_text.id}), ${m.dtype}`);
  console.log(`${m.files.length} shards, ${fmt(m.documents)} documents, ${fmt(m.tokens)} tokens${m.shuffle ? `, shuffled across shards (seed ${m.shuffle.seed}, ${m.shuffle.buckets} buckets)` : ''}`);
  console.log(['shard', 'documents', 'tokens', 'min', 'mean', 'max'].map((h, i) => (i ? h.padStart(12) : h.padEnd(12))).join(''));
  for (const r of rows) console.log([r.prefix.padEnd(12), ...[r.documents, r.tokens, r.min, r.mean, r.max].map((x) => fmt(x).padStart(12))].join(''));
  return 0;
}
