// Precision and recall on the labelled corpus. The thresholds sit a little under the measured
// figures (bench/extract.ts prints them per type), so a regression in either direction fails.
// Per-type floors are lower because some types have only a handful of labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extract, STORED_TYPES } from '../../src/indicators/index.ts';
import { loadCorpus, precision, recall, score, scoreRoles } from './corpus.ts';

const docs = loadCorpus();
const verdict = (text: string): Set<string> => new Set(extract(text).map((x) => `${x.type} ${x.value}`));

test('the corpus is loaded with labels for every lookup type, for cidr and for references', () => {
  assert.ok(docs.length >= 8);
  const labelled = new Set(docs.flatMap((d) => [...d.labels].map((k) => k.split(' ')[0])));
  for (const t of STORED_TYPES) assert.ok(labelled.has(t), `no ${t} labels`);
  assert.ok(docs.filter((d) => d.references.size > 0).length >= 8, 'references labelled in most documents that cite sources');
});

test('overall precision and recall on the corpus', () => {
  const { score: s, misses } = score(docs, verdict);
  assert.ok(precision(s.all) >= 0.97, `precision ${precision(s.all).toFixed(3)}\n${misses.join('\n')}`);
  assert.ok(recall(s.all) >= 0.98, `recall ${recall(s.all).toFixed(3)}\n${misses.join('\n')}`);
});

test('per-type precision and recall on the corpus', () => {
  const { score: s, misses } = score(docs, verdict);
  for (const t of STORED_TYPES) {
    assert.ok(precision(s[t]) >= 0.75, `${t} precision ${precision(s[t]).toFixed(3)}\n${misses.join('\n')}`);
    assert.ok(recall(s[t]) >= 0.75, `${t} recall ${recall(s[t]).toFixed(3)}\n${misses.join('\n')}`);
  }
});

test('the known misses are exactly the documented hard cases', () => {
  const { misses } = score(docs, verdict);
  assert.deepEqual(misses.sort(), [
    'chat-transcript.txt: false positive ipv4 16.0.5.2', // a version number shaped like an address
    'chat-transcript.txt: missed domain evil.com', // "evil dot com" in prose is deliberately not refanged
    'edr-alert.json: false positive md5 da637d5c7b1d4a5c9e3c2c1b0a9f8e7d', // an alert id shaped like an MD5
    'phishing-mail.eml: false positive email 20221114091243.1A2B3C@paypa1-secure-center.com', // a Message-ID
  ]);
});

test('roles: links the texts cite are references, everything else is an indicator', () => {
  const { counts, misses } = scoreRoles(docs, (text) => extract(text));
  assert.ok(precision(counts) >= 0.95, `reference precision ${precision(counts).toFixed(3)}\n${misses.join('\n')}`);
  assert.ok(recall(counts) >= 0.95, `reference recall ${recall(counts).toFixed(3)}\n${misses.join('\n')}`);
  assert.deepEqual(misses, []);
});
