/** Keeps docs/scoring.md's worked example in step with the model: the numbers it prints are recomputed here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createIntelligence } from '../../src/intel.ts';
import { evidence, FEEDS, NOW } from '../intel/fixtures.ts';

const intel = createIntelligence();
const doc = readFileSync(new URL('../../docs/scoring.md', import.meta.url), 'utf8');
const IP = '91.215.85.17';

test('worked example: Feodo Tracker + ThreatFox', () => {
  const a = intel.assess(
    evidence('ipv4', IP, [
      { feed: FEEDS.feodo, lastSeenDaysAgo: 1, threatType: 'botnet_cc', malwareFamily: 'Emotet' },
      { feed: FEEDS.threatfox, lastSeenDaysAgo: 2, threatType: 'botnet_cc', confidence: 100 },
    ]),
    NOW,
  );
  const deltas = a.risk.factors.filter((f) => f.kind === 'sighting').map((f) => [f.feed_id, f.delta, f['probability']]);
  assert.deepEqual(deltas, [
    ['threatfox', 82.2, 0.822],
    ['feodotracker', 12.7, 0.71],
  ]);
  assert.equal(a.risk.score, 95);
  assert.equal(a.risk.level, 'critical');
  assert.equal(a.confidence, 'high');
  for (const text of ['**0.7105**', '**0.8217**', '0.9484', '→ **95**', 'ThreatFox +82.2', 'Feodo Tracker +12.7']) assert.ok(doc.includes(text), `docs/scoring.md shows ${text}`);
});

test('worked example: Feodo Tracker alone, and 200 days later', () => {
  const one = (days: number) => intel.assess(evidence('ipv4', IP, [{ feed: FEEDS.feodo, lastSeenDaysAgo: days, threatType: 'botnet_cc' }]), NOW);
  assert.deepEqual([one(1).risk.score, one(1).risk.level, one(1).confidence], [71, 'high', 'medium']);
  assert.deepEqual([one(200).risk.score, one(200).risk.level], [0, 'low']);
  assert.ok(doc.includes('`100 × 0.7105 = 71` → **high**'));
});

test('worked example: the public-resolver cap', () => {
  const a = intel.assess(evidence('ipv4', '8.8.8.8', [{ feed: FEEDS.cins, lastSeenDaysAgo: 0, threatType: 'malicious_infrastructure' }]), NOW);
  const cap = a.risk.factors.find((f) => f.kind === 'warninglist' && f['list_id'] === 'public-dns-v4');
  assert.equal(cap?.delta, -16);
  assert.equal(a.risk.score, 29);
  assert.ok(doc.includes('score becomes 29') && doc.includes('shows −16'));
});

test('every parameter in data/scoring.json is documented', () => {
  const rules = JSON.parse(readFileSync(new URL('../../data/scoring.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  for (const key of Object.keys(rules)) if (key !== 'description') assert.ok(doc.includes(`\`${key}\``), `docs/scoring.md documents ${key}`);
  const caps = (rules['warninglists'] as { caps: Record<string, string> }).caps;
  for (const id of Object.keys(caps)) assert.ok(doc.includes(`\`${id}\``), `docs/scoring.md names the list ${id}`);
});
