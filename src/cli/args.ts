/** Thin wrapper over node:util parseArgs that turns its errors into readable ones. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RefineryError } from '../errors.js';

export function parse<T extends ParseArgsConfig['options']>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new RefineryError('ERR_CONFIG', `${(e as Error).message.replace(/^.*?: /, '')} (see --help)`);
  }
}
