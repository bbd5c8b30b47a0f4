import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, CatalogError } from '../../src/feeds/index.ts';
import { FEED_CATEGORIES, RELIABILITIES } from '../../src/model.ts';

const REQUIRED = ['cisa-kev', 'urlhaus', 'threatfox', 'feodotracker', 'malwarebazaar', 'spamhaus-drop', 'spamhaus-dropv6', 'et-compromised', 'openphish', 'blocklist-de', 'cins-army', 'tor-exits', 'circl-osint', 'internal-allowlist', 'internal-denylist'];

function withFile(content: unknown, fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-catalog-'));
  const path = join(dir, 'feeds.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  try {
    fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the bundled catalog has every required feed, one TAXII source, and valid fields', () => {
  const catalog = loadCatalog();
  for (const id of REQUIRED) assert.ok(catalog.get(id), `feed ${id} is in the catalog`);
  assert.equal(catalog.list().filter((f) => f.format === 'taxii21').length >= 1, true, 'a TAXII 2.1 source');
  for (const f of catalog.list()) {
    assert.ok((FEED_CATEGORIES as readonly string[]).includes(f.category));
    assert.ok((RELIABILITIES as readonly string[]).includes(f.reliability));
    assert.ok(f.license.length > 0, `${f.id} has a license note`);
  }
  for (const id of ['internal-allowlist', 'internal-denylist']) {
    const f = catalog.get(id);
    assert.equal(f?.category, 'internal');
    assert.equal(f?.url, null);
  }
  assert.deepEqual(catalog.info('internal-denylist'), { id: 'internal-denylist', name: 'Internal denylist', category: 'internal', reliability: 'A', verdict: 'deny' });
  assert.equal(catalog.info('internal-allowlist')?.verdict, 'allow');
  assert.equal(catalog.info('nope'), undefined);
});

test('an operator file adds feeds and overrides bundled ones field by field, without code changes', () => {
  withFile(
    {
      feeds: [
        { id: 'team-iocs', name: 'Team IOCs', category: 'internal', reliability: 'B', format: 'jsonl-mapping', url: 'https://intel.example.org/iocs.jsonl', interval: 600, verdict: 'deny', license: 'internal', options: { fields: { value: 'ioc' } } },
        { id: 'cins-army', enabled: true, options: { maxBytes: 1000 } },
      ],
    },
    (path) => {
      const catalog = loadCatalog({ extraFeedsFile: path });
      assert.equal(catalog.get('team-iocs')?.format, 'jsonl-mapping');
      assert.equal(catalog.get('cins-army')?.enabled, true);
      assert.deepEqual(catalog.get('cins-army')?.options, { type: 'ipv4', threatType: 'scanner', maxBytes: 1000 });
      assert.equal(catalog.get('cins-army')?.name, 'CINS Army', 'untouched fields keep their bundled value');
    },
  );
});

test('bad operator entries fail with a message naming the file, the feed and the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ feeds: [{ id: 'x1', name: 'X', category: 'gov', reliability: 'A', format: 'plain-list', url: null }] }, /feed "x1": "category" must be one of/],
    [{ feeds: [{ id: 'x2', name: 'X', category: 'community', reliability: 'Z', format: 'plain-list', url: null }] }, /"reliability"/],
    [{ feeds: [{ id: 'x3', name: 'X', category: 'community', reliability: 'A', format: 'rss-xml', url: null }] }, /"format"/],
    [{ feeds: [{ id: 'x4', name: 'X', category: 'community', reliability: 'A', format: 'plain-list', url: 'ftp://x' }] }, /"url"/],
    [{ feeds: [{ id: 'x5', name: 'X', category: 'internal', reliability: 'A', format: 'plain-list', url: null }] }, /verdict/],
    [{ feeds: [{ id: 'x6', name: 'X', category: 'community', reliability: 'A', format: 'csv-mapping', url: null }] }, /options\.fields\.value/],
    [{ feeds: [{ id: 'x7', name: 'X', category: 'community', reliability: 'A', format: 'plain-list', url: 'https://x.example', interval: 5 }] }, /"interval"/],
    [{ feeds: [{ id: 'Bad Id' }] }, /"id"/],
    [{ feeds: [{ id: 'x8', name: 'X', category: 'community', reliability: 'A', format: 'plain-list', url: null, colour: 'red' }] }, /unknown field "colour"/],
    ['{ not json', /cannot read feed definitions/],
    [{ nope: [] }, /expected \{"feeds"/],
  ];
  for (const [content, re] of cases) {
    withFile(content, (path) => {
      assert.throws(() => loadCatalog({ extraFeedsFile: path }), (err: unknown) => err instanceof CatalogError && re.test(err.message) && err.message.includes(path), `${JSON.stringify(content)} → ${re}`);
    });
  }
});

test('catalog entries are frozen', () => {
  const f = loadCatalog().get('urlhaus');
  assert.ok(f);
  assert.throws(() => {
    (f as { enabled: boolean }).enabled = false;
  }, TypeError);
});
