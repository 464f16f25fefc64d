/**
 * datatrove v0.10.0's decisions on 350 CommonCrawl texts (../shared/data/parity), and our
 * filters' decisions on the same texts, each filter applied alone to the original text.
 */
import { readFileSync } from 'node:fs';
import { isDrop, type StepResult } from '../../src/stage.js';
import { sharedData } from '../../src/paths.js';
import { checkRepetition, defaults as repDefaults } from '../../stages/gopher_repetition/index.js';
import { checkQuality, defaults as qualDefaults } from '../../stages/gopher_quality/index.js';
import { checkC4, defaults as c4Defaults } from '../../stages/c4_filters/index.js';
import { checkFineweb, defaults as fwDefaults } from '../../stages/fineweb_quality/index.js';

export interface ParityRow {
  id: string;
  text: string;
  gopher_rep: true | string;
  gopher_qual: true | string;
  c4: true | string;
  fineweb: true | string;
}

export const PARITY_FILE = sharedData('parity', 'datatrove-filters.jsonl');

export function loadParity(): ParityRow[] {
  if (!PARITY_FILE) return [];
  return readFileSync(PARITY_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ParityRow);
}

function decision(r: StepResult | undefined): true | string {
  return r === undefined || !isDrop(r) ? true : r.reason;
}

/** Our decision per filter, with the settings datatrove's run used (C4 with terminal punctuation). */
export const OURS: Record<'gopher_rep' | 'gopher_qual' | 'c4' | 'fineweb', (text: string) => { decision: true | string; detail?: string }> = {
  gopher_rep: (t) => {
    const r = checkRepetition(t, repDefaults);
    return { decision: decision(r), detail: r && isDrop(r) ? r.detail : undefined };
  },
  gopher_qual: (t) => {
    const r = checkQuality(t, qualDefaults);
    return { decision: decision(r), detail: r && isDrop(r) ? r.detail : undefined };
  },
  c4: (t) => {
    const r = checkC4(t, { ...c4Defaults, filter_no_terminal_punct: true }).result;
    return { decision: decision(r), detail: r && isDrop(r) ? r.detail : undefined };
  },
  fineweb: (t) => {
    const r = checkFineweb(t, fwDefaults);
    return { decision: decision(r), detail: r && isDrop(r) ? r.detail : undefined };
  },
};

