/** Extra hunting platforms as clients write them: one reading for the API and the CLI. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlatforms } from '../../src/hunting/index.ts';
import { HUNTING_PLATFORMS } from '../../src/model.ts';

describe('hunting platform lists', () => {
  const good: [string | undefined, string[]][] = [
    [undefined, []],
    ['', []],
    [' , ,', []],
    ['sigma', ['sigma']],
    ['Sigma, ESQL', ['sigma', 'esql']],
    ['splunk_tstats,,kql', ['splunk_tstats', 'kql']],
  ];
  for (const [given, platforms] of good) {
    it(`${JSON.stringify(given)} → [${platforms.join(', ')}]`, () => {
      assert.deepEqual(parsePlatforms(given), { ok: true, platforms });
    });
  }

  const bad: [string, string][] = [
    ['notasiem', 'notasiem'],
    ['sigma, QRadar', 'qradar'],
    ['constructor', 'constructor'],
  ];
  for (const [given, name] of bad) {
    it(`${JSON.stringify(given)} names an unknown platform: ${name}`, () => {
      const r = parsePlatforms(given);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.given, name);
      assert.deepEqual(r.allowed, HUNTING_PLATFORMS);
      assert.equal(r.message, `Unknown hunting platform "${name}". Allowed: ${HUNTING_PLATFORMS.join(', ')}.`);
    });
  }
});
