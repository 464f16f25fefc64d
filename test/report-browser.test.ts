/**
 * The report opened in a real browser: Debian's `chromium`, headless, no sandbox, no network
 * (every non-file request is aborted and counted). Checks no console errors, every chart has
 * marks with area, and the funnel table's numbers equal stats.json; saves a screenshot.
 * Skips when chromium (or playwright-core) is absent. CI: `apt-get install -y chromium`.
 * Artifacts: $REFINERY_ARTIFACTS or <tmp>/refinery-artifacts/report-browser/.
 * $REFINERY_REPORT_RUN=<run-dir> also checks the report of that run (e.g. the bench run).
 */
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSyntheticRun } from './helpers/synthetic-run.js';
import { buildReport } from '../src/report/index.js';
import type { RunStats } from '../src/stats.js';

// The few browser globals used inside page.evaluate (the project compiles without the DOM lib).
interface BrowserElement {
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement> & Iterable<BrowserElement>;
  textContent: string | null;
  getBBox(): { width: number; height: number };
}
declare const document: { querySelectorAll(selector: string): ArrayLike<BrowserElement> & Iterable<BrowserElement> };

// A test starts what it needs: as root, Debian's chromium is installed when missing
// (scripts/ensure-apt.sh); elsewhere the test skips. REFINERY_SKIP_APT=1 never installs.
function findChromium(): string | undefined {
  const candidates = [process.env.REFINERY_CHROMIUM ?? '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  let found = candidates.find((p) => existsSync(p));
  if (!found && !process.env.REFINERY_CHROMIUM && !process.env.REFINERY_SKIP_APT) {
    spawnSync('bash', [fileURLToPath(new URL('../../scripts/ensure-apt.sh', import.meta.url)), 'chromium', 'chromium'], { stdio: 'inherit', timeout: 600_000 });
    found = candidates.find((p) => existsSync(p));
  }
  return found;
}
const CHROMIUM = findChromium();

type Playwright = typeof import('playwright-core');
let playwright: Playwright | undefined;
try {
  playwright = await import('playwright-core');
} catch {
  playwright = undefined;
}
const skip = !CHROMIUM ? 'chromium is not installed (apt-get install -y chromium)' : !playwright ? 'playwright-core is not installed' : false;

const ARTIFACTS = process.env.REFINERY_ARTIFACTS ?? join(tmpdir(), 'refinery-artifacts', 'report-browser');

interface PageCheck {
  errors: string[];
  external: string[];
  charts: { kind: string; marks: number }[];
  funnel: { pass: string; stage: string; cells: string[]; docsIn: number; docsOut: number }[];
  missing: string[];
}

async function openReport(htmlPath: string, screenshot: string): Promise<PageCheck> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'refinery-chromium-'));
  const context = await playwright!.chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const external: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    await page.goto(`file://${htmlPath}`, { waitUntil: 'load' });
    const result = await page.evaluate(() => {
      const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
        let marks = 0;
        for (const el of svg.querySelectorAll('rect.bar, path')) {
          const b = el.getBBox();
          if (b.width > 0 && b.height > 0) marks++;
        }
        return { kind: svg.getAttribute('data-chart') ?? '', marks };
      });
      const funnel = [...document.querySelectorAll('#funnel-table tbody tr[data-stage]')].map((tr) => ({
        pass: tr.getAttribute('data-pass') ?? '',
        stage: tr.getAttribute('data-stage') ?? '',
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        docsIn: Number(tr.getAttribute('data-docs-in')),
        docsOut: Number(tr.getAttribute('data-docs-out')),
      }));
      const missing = [...document.querySelectorAll('.missing')].map((e) => e.textContent ?? '');
      return { charts, funnel, missing };
    });
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, external, ...result };
  } finally {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');

async function checkRun(dir: string, name: string): Promise<PageCheck> {
  await mkdir(ARTIFACTS, { recursive: true });
  const { html } = await buildReport(dir);
  const htmlPath = join(ARTIFACTS, `${name}.html`);
  await writeFile(htmlPath, html);
  const shot = join(ARTIFACTS, `${name}.png`);
  const check = await openReport(htmlPath, shot);
  assert.ok(existsSync(shot), 'screenshot saved');
  assert.deepEqual(check.errors, [], 'no console errors');
  assert.deepEqual(check.external, [], 'no network request');
  for (const c of check.charts) assert.ok(c.marks > 0, `chart ${c.kind} has visible marks`);
  const statsPath = join(dir, 'stats.json');
  if (existsSync(statsPath)) {
    const stats = JSON.parse(await readFile(statsPath, 'utf8')) as RunStats;
    const expected = stats.passes.flatMap((p) => p.stages.map((s) => ({ pass: p.pass, stage: s.name, docsIn: s.stats.docsIn, docsOut: s.stats.docsOut })));
    assert.deepEqual(check.funnel.map(({ pass, stage, docsIn, docsOut }) => ({ pass, stage, docsIn, docsOut })), expected);
    for (const row of check.funnel) {
      // Columns: pass, step, docs in, docs out, ...: what the reader sees equals stats.json.
      assert.equal(row.cells[2], fmt(row.docsIn));
      assert.equal(row.cells[3], fmt(row.docsOut));
    }
  }
  return check;
}

test('report in headless Chromium: no console errors, every chart has data, funnel equals stats.json', { skip, timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-report-browser-'));
  try {
    await buildSyntheticRun(dir, { tasks: 8, docsPerTask: 150 });
    const check = await checkRun(dir, 'synthetic-run');
    const kinds = new Set(check.charts.map((c) => c.kind));
    for (const k of ['funnel', 'funnel-rw', 'reasons', 'distribution', 'languages-kept', 'language-score', 'hosts-kept', 'hosts-removed', 'tlds-kept', 'length-chars', 'length-tokens', 'cluster-size', 'stage-time', 'task-time', 'reader-skipped']) {
      assert.ok(kinds.has(k), `chart ${k} is drawn`);
    }
    assert.equal(check.funnel.length, 7);
    assert.deepEqual(check.missing, [], 'nothing is missing in a complete run');
    t.diagnostic(`screenshot: ${join(ARTIFACTS, 'synthetic-run.png')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report in headless Chromium: empty and failed-task runs render and say what is missing', { skip, timeout: 120_000 }, async () => {
  const empty = await mkdtemp(join(tmpdir(), 'refinery-report-browser-'));
  const failed = await mkdtemp(join(tmpdir(), 'refinery-report-browser-'));
  try {
    const e = await checkRun(empty, 'empty-run');
    assert.ok(e.missing.some((m) => m.includes('funnel cannot be drawn')));
    await buildSyntheticRun(failed, { failedRanks: [1], dedup: false, docsPerTask: 100 });
    const f = await checkRun(failed, 'failed-task-run');
    assert.equal(f.funnel.length, 6);
  } finally {
    await rm(empty, { recursive: true, force: true });
    await rm(failed, { recursive: true, force: true });
  }
});

const benchRun = process.env.REFINERY_REPORT_RUN;
test('report in headless Chromium: the run in $REFINERY_REPORT_RUN', { skip: skip || (!benchRun ? 'REFINERY_REPORT_RUN is not set' : false), timeout: 300_000 }, async () => {
  await checkRun(benchRun!, 'run');
});
