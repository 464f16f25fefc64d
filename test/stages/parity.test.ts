/**
 * Parity with datatrove v0.10.0 on 350 CommonCrawl texts (../shared/data/parity): per filter,
 * the share of documents where we make the same keep/drop decision. The floors are the
 * agreement reached (see the report); every disagreement is printed. Remaining ones come from
 * word splitting: datatrove uses spaCy's English tokenizer, which makes a run of CJK text one
 * word, where we make each CJK character a word (stages/text/words.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadParity, OURS, PARITY_FILE } from './parity-data.js';

const FLOOR: Record<keyof typeof OURS, number> = {
  gopher_rep: 345,
  gopher_qual: 349,
  c4: 350,
  fineweb: 344,
};

for (const filter of Object.keys(OURS) as (keyof typeof OURS)[]) {
  test(`parity with datatrove: ${filter} agrees on >= ${FLOOR[filter]}/350 keep/drop decisions`, { skip: !PARITY_FILE && 'shared parity data absent' }, () => {
    const rows = loadParity();
    assert.equal(rows.length, 350);
    let agree = 0;
    let sameReason = 0;
    const lines: string[] = [];
    for (const row of rows) {
      const ours = OURS[filter](row.text);
      const theirs = row[filter];
      if ((ours.decision === true) === (theirs === true)) agree++;
      else lines.push(`  ${row.id.slice(0, 32)} datatrove=${theirs} ours=${ours.decision}${ours.detail ? ` (${ours.detail})` : ''}`);
      if (ours.decision === theirs) sameReason++;
    }
    console.log(`${filter}: ${agree}/350 decisions agree, ${sameReason}/350 with the same reason`);
    for (const l of lines) console.log(l);
    assert.ok(agree >= FLOOR[filter], `${filter}: ${agree} < ${FLOOR[filter]}`);
  });
}
