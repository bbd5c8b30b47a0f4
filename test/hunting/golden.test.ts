/**
 * Golden files: one per indicator type and platform, under test/hunting/golden/, so that every
 * change to a generated query is reviewed as a diff. After an intended change, regenerate with
 *   UPDATE_GOLDEN=1 node scripts/run-tests.mjs test/hunting/golden
 * and review `git diff test/hunting/golden`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { HUNTING_PLATFORMS } from '../../src/model.ts';
import { TYPES, sampleInput } from './samples.ts';

const update = process.env.UPDATE_GOLDEN === '1';
const builder = createHuntingQueryBuilder();
/** File name after the type: platform and the extension editors highlight. */
const FILE = { splunk: 'splunk.spl', splunk_tstats: 'splunk_tstats.spl', kql: 'kql', sigma: 'sigma.yml', esql: 'esql' } as const;

describe('golden hunting queries', () => {
  for (const type of TYPES) {
    for (const platform of HUNTING_PLATFORMS) {
      const file = new URL(`./golden/${type}.${FILE[platform]}`, import.meta.url);
      it(`${type} / ${platform}`, () => {
        const text = builder.build(sampleInput(type), [platform])[platform]!;
        const content = text.endsWith('\n') ? text : `${text}\n`;
        if (update) writeFileSync(file, content);
        assert.ok(existsSync(file), `missing golden file ${file.pathname}; run with UPDATE_GOLDEN=1`);
        assert.equal(content, readFileSync(file, 'utf8'));
      });
    }
  }
});
