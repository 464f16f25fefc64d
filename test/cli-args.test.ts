import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTargetCommand, wholeNumberArg } from '../src/cli/args.js';
import { RefineryError } from '../src/errors.js';

test('wholeNumberArg: absent is undefined, 0 only where allowed, errors name the flag', () => {
  assert.equal(wholeNumberArg('n', undefined), undefined);
  assert.equal(wholeNumberArg('n', '0'), 0);
  assert.equal(wholeNumberArg('n', '12'), 12);
  assert.equal(wholeNumberArg('workers', '3', 1), 3);
  assert.throws(() => wholeNumberArg('workers', '0', 1), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG' && e.message === '--workers: expected a positive whole number, got "0"');
  assert.throws(() => wholeNumberArg('chars', '1.5'), /--chars: expected a whole number, got "1.5"/);
  assert.throws(() => wholeNumberArg('n', '-1'), /--n: expected a whole number/);
  assert.throws(() => wholeNumberArg('n', 'x'), /--n: expected a whole number/);
});

test('parseTargetCommand: flags and target, or the exit code after telling why', () => {
  const options = { n: { type: 'string', short: 'n' }, help: { type: 'boolean', short: 'h' } } as const;
  const run = (argv: string[]) => {
    const lines: string[] = [];
    return { result: parseTargetCommand('demo', 'USAGE', argv, options, (l) => lines.push(l)), lines };
  };
  const ok = run(['dir', '-n', '3']);
  assert.deepEqual(ok.lines, []);
  assert.ok(typeof ok.result === 'object');
  assert.equal(ok.result.target, 'dir');
  assert.deepEqual({ ...ok.result.values }, { n: '3' });
  assert.deepEqual(run(['-h']), { result: 0, lines: ['USAGE'] });
  assert.deepEqual(run([]), { result: 2, lines: ['USAGE'] });
  assert.deepEqual(run(['a', 'b']), { result: 2, lines: ['USAGE'] });
  const bad = run(['dir', '--bogus']);
  assert.equal(bad.result, 2);
  assert.match(bad.lines[0]!, /^refinery demo: Unknown option '--bogus'.*\nUSAGE$/s);
});
