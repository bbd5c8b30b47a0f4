/** The lookup use case gathers the right evidence: the indicator's own sightings and its context. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLookup, ParsedIndicators, parentDomains, parseLookupValue, urlHost } from '../../src/enrich.ts';
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

  test('parses without a memo as the memo does, the cache key made when asked', () => {
    for (const [raw, hint] of [[' hxxp://Evil[.]com/x '], ['198.51.100.23'], ['EVIL.example.com.', 'domain'], ['not an indicator']] as [string, 'domain'?][]) {
      const direct = parseLookupValue(raw, hint);
      const fresh = parseIndicator(raw, hint);
      assert.equal(direct.ok, fresh.ok, raw);
      if (!direct.ok || !fresh.ok) {
        assert.deepEqual(direct, fresh);
        continue;
      }
      assert.equal(direct.type, fresh.type);
      assert.equal(direct.value, fresh.value);
      assert.equal(direct.seedCacheKey, `lookup:${fresh.type}:${fresh.value}:splunk,kql`);
      // asked again, the same key (made once)
      assert.equal(direct.seedCacheKey, `lookup:${fresh.type}:${fresh.value}:splunk,kql`);
    }
    // the memo hands out the entry it keeps
    const memo = new ParsedIndicators(10);
    assert.equal(memo.parse('198.51.100.23'), memo.parse('198.51.100.23'));
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

describe('enrich: overrides read once per data version', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-enrich-overrides-'));
    store = await openStore(join(dir, 'v.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('lookups under one version share one reading of the overrides; a change shows at once after dataChanged, and at the next window without it', async () => {
    let lists = 0;
    let gets = 0;
    // the real store, its override reads counted
    const overrides = Object.create(store.overrides, {
      list: { value: () => ((lists += 1), store.overrides.list()) },
      get: { value: (t: never, v: string) => ((gets += 1), store.overrides.get(t, v)) },
    }) as Store['overrides'];
    const counted = Object.create(store, { overrides: { value: overrides } }) as Store;
    let clockMs = 0;
    const lookup = createLookup(
      { store: counted, catalog: testCatalog, intel: (await import('../../src/intel.ts')).createIntelligence(), hunting: createHuntingQueryBuilder(), cache: null, clock: () => NOW },
      { versionWindowMs: 1_000, monotonicMs: () => clockMs },
    );
    const factorKinds = async (value: string) => {
      const out = await lookup.lookup({ value });
      assert.ok(out.ok, `${value} is looked up`);
      return out.result.risk.factors.map((f) => f['kind']);
    };
    for (const v of ['192.0.2.10', '192.0.2.11', 'evil.com', '192.0.2.12']) assert.ok(!(await factorKinds(v)).includes('override'), `${v}: no override yet`);
    assert.equal(lists, 1, 'one reading for four lookups');
    assert.equal(gets, 0);

    await store.overrides.put({ type: 'ipv4', value: '192.0.2.10', verdict: 'deny', reason: 'seen in our incident', createdAt: NOW.toISOString(), createdBy: null });
    // within the window, another process's change is not seen yet…
    assert.ok(!(await factorKinds('192.0.2.10')).includes('override'), 'not seen within the window');
    // …this process's is, at once
    lookup.dataChanged();
    assert.ok((await factorKinds('192.0.2.10')).includes('override'), 'seen after dataChanged');
    assert.equal(lists, 2);
    await store.overrides.delete('ipv4', '192.0.2.10');
    clockMs += 1_000; // the window has passed: the version is read again
    assert.ok(!(await factorKinds('192.0.2.10')).includes('override'), 'gone after the window');
    assert.equal(lists, 3);
  });
});
