/** The lookup use case gathers the right evidence: the indicator's own sightings and its context. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLookup, ParsedIndicators, parentDomains, urlHost } from '../../src/enrich.ts';
import { parseIndicator } from '../../src/indicators/index.ts';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Assessment, Evidence } from '../../src/model.ts';
import type { Store } from '../../src/store/types.ts';
import { NOW, testCatalog } from './harness.ts';

const EMPTY: Assessment = {
  risk: { score: 0, level: 'low', factors: [] },
  confidence: 'low',
  techniques: [],
  threatTypes: [],
  malwareFamilies: [],
  tags: [],
  warninglists: [],
  related: {},
};

describe('enrich: evidence gathering', () => {
  let dir: string;
  let store: Store;
  const seen: Evidence[] = [];
  let lookup: ReturnType<typeof createLookup>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-enrich-'));
    store = await openStore(join(dir, 'v.db'));
    const runAt = NOW.toISOString();
    await store.ingest({ feedId: 'cisa-alerts', mode: 'incremental', runAt }, [
      { type: 'cidr', value: '198.51.100.0/24', threatType: 'hijacked_range' },
      { type: 'domain', value: 'evil.co.uk', threatType: 'phishing' },
      { type: 'domain', value: 'login.evil.co.uk', threatType: 'phishing' },
      { type: 'url', value: 'http://login.evil.co.uk/a', threatType: 'phishing' },
    ]);
    await store.ingest({ feedId: 'gone-feed', mode: 'incremental', runAt }, [{ type: 'ipv4', value: '198.51.100.5', threatType: 'scanner' }]);
    // an intelligence model that records what it was given
    lookup = createLookup({
      store,
      catalog: testCatalog,
      intel: { assess: (e) => (seen.push(e), EMPTY) },
      hunting: createHuntingQueryBuilder(),
      cache: null,
      clock: () => NOW,
    });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const evidenceFor = async (value: string) => {
    seen.length = 0;
    const out = await lookup.lookup({ value });
    assert.ok(out.ok);
    assert.equal(seen.length, 1);
    return { evidence: seen[0]!, result: out.result };
  };
  const relations = (e: Evidence) => e.context.map((c) => `${c.relation}:${c.type}:${c.value}`).sort();

  test('an IP gets the CIDR ranges holding it; a feed missing from the catalog still shows', async () => {
    const { evidence, result } = await evidenceFor('198.51.100.5');
    assert.deepEqual(relations(evidence), ['range:cidr:198.51.100.0/24']);
    assert.equal(evidence.context[0]!.feed.name, 'CISA Alerts');
    assert.deepEqual(
      result.sources.map((s) => [s.feed_name, s.category, s.match, s.matched_value]),
      [
        ['gone-feed', 'internal', 'exact', '198.51.100.5'],
        ['CISA Alerts', 'government', 'range', '198.51.100.0/24'],
      ],
      'the range that holds it is a source too: its feed reports every address in it',
    );
  });

  test('a subdomain gets its parent domains up to the registrable domain', async () => {
    const { evidence, result } = await evidenceFor('a.login.evil.co.uk');
    assert.deepEqual(relations(evidence), ['parent_domain:domain:evil.co.uk', 'parent_domain:domain:login.evil.co.uk']);
    assert.equal(result.found, true, 'a listed parent domain is evidence that matched');
    assert.deepEqual(result.sources.map((s) => [s.match, s.matched_value]), [['parent_domain', 'login.evil.co.uk'], ['parent_domain', 'evil.co.uk']], 'nearest parent first');
  });

  test('a URL gets its host and the host\'s parents', async () => {
    const { evidence, result } = await evidenceFor('hxxp://login.evil.co[.]uk/a');
    assert.equal(result.found, true);
    assert.deepEqual(relations(evidence), ['host:domain:login.evil.co.uk', 'parent_domain:domain:evil.co.uk']);
  });

  test('a URL on a bare IP gets the IP and its ranges', async () => {
    const { evidence } = await evidenceFor('http://198.51.100.5:8080/x');
    assert.deepEqual(relations(evidence), ['host:ipv4:198.51.100.5', 'range:cidr:198.51.100.0/24']);
  });

  test('hashes and CVEs have no context', async () => {
    assert.deepEqual(relations((await evidenceFor('44d88612fea8a8f36de82e1278abb02f')).evidence), []);
  });

  test('parent domains and URL hosts', () => {
    assert.deepEqual(parentDomains('a.b.evil.co.uk'), ['b.evil.co.uk', 'evil.co.uk']);
    assert.deepEqual(parentDomains('evil.co.uk'), []);
    assert.deepEqual(urlHost('http://[2001:db8::1]/x'), { type: 'ipv6', value: '2001:db8::1' });
    assert.deepEqual(urlHost('https://evil.example/x'), { type: 'domain', value: 'evil.example' });
    assert.equal(urlHost('not a url'), null);
  });
});

describe('enrich: parsed indicators memo', () => {
  test('answers as parseIndicator does, per type hint, and keeps no failure', () => {
    const memo = new ParsedIndicators(3);
    for (let round = 0; round < 2; round++) {
      const a = memo.parse(' hxxp://Evil[.]com/x ');
      const fresh = parseIndicator(' hxxp://Evil[.]com/x ');
      assert.ok(a.ok && fresh.ok);
      assert.equal(a.type, fresh.type);
      assert.equal(a.value, fresh.value);
      assert.equal(a.seedCacheKey, `lookup:${fresh.type}:${fresh.value}:splunk,kql`);
    }
    // the same raw value under another hint is another entry, parsed under that hint
    assert.equal(memo.parse('198.51.100.23').ok, true);
    assert.deepEqual(memo.parse('198.51.100.23', 'domain'), parseIndicator('198.51.100.23', 'domain'));
    const bad = memo.parse('not an indicator');
    assert.equal(bad.ok, false);
    assert.deepEqual(bad, parseIndicator('not an indicator'));
  });

  test('stays within its bound and still answers after starting over', () => {
    const memo = new ParsedIndicators(2);
    const values = ['a.evil.com', 'b.evil.com', 'c.evil.com', 'a.evil.com'];
    for (const v of values) {
      const r = memo.parse(v);
      assert.ok(r.ok);
      assert.equal(r.value, v);
      assert.equal(r.type, 'domain');
    }
  });
});
