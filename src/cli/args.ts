/** Argument parsing for the CLI commands: node:util parseArgs with readable errors, whole-number flags. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RefineryError } from '../errors.js';

// The return type is spelled out because declarations are emitted (the package's public types).
type ParseResult<T extends ParseArgsConfig['options']> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>>;

export function parse<T extends ParseArgsConfig['options']>(argv: string[], options: T, allowPositionals = true): ParseResult<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new RefineryError('ERR_CONFIG', `${(e as Error).message.replace(/^.*?: /, '')} (see --help)`);
  }
}

/**
 * The value of `--<flag>` as a whole number (undefined when the flag was not given). `min` is 1
 * for counts that must be positive (workers, limits), 0 where 0 means "none" (samples, chars).
 */
export function wholeNumberArg(flag: string, value: string, min?: 0 | 1): number;
export function wholeNumberArg(flag: string, value: string | undefined, min?: 0 | 1): number | undefined;
export function wholeNumberArg(flag: string, value: string | undefined, min: 0 | 1 = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new RefineryError('ERR_CONFIG', `--${flag}: expected a ${min > 0 ? 'positive ' : ''}whole number, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * A percentage flag (`--sample 0.5%`) as a fraction in (0, 1]. The `%` is required: a bare
 * 0.5 could mean half or 0.5%, and guessing wrong costs a 100-times larger run.
 */
export function percentArg(flag: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)(?:e-?\d+)?\s*%\s*$/i.exec(value);
  const p = m ? Number(value.trim().slice(0, -1)) : NaN;
  if (!Number.isFinite(p) || p <= 0 || p > 100) {
    throw new RefineryError('ERR_CONFIG', `--${flag}: expected a percentage of the input files in (0%, 100%], e.g. 0.5%, got ${JSON.stringify(value)}`);
  }
  return p / 100;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parse<T>>;

/**
 * The front of a command that takes one target (`refinery inspect <run>`, `refinery report
 * <run>`): its flags and target, or the exit code to stop with, after telling the user why
 * (bad flags: the parser's message and the usage, 2; --help: the usage, 0; not exactly one
 * target: the usage, 2).
 */
export function parseTargetCommand<T extends Options>(
  command: string,
  usage: string,
  argv: string[],
  options: T,
  log: (line: string) => void,
  /** Where --help goes (the CLI: stdout); default `log`. */
  help: (text: string) => void = log,
): { values: Parsed<T>['values']; target: string } | number {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    log(`refinery ${command}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if ((parsed.values as Record<string, unknown>).help) {
    help(usage);
    return 0;
  }
  const target = parsed.positionals[0];
  if (!target || parsed.positionals.length > 1) {
    log(usage);
    return 2;
  }
  return { values: parsed.values, target };
}
