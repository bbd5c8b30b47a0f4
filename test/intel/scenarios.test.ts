/**
 * Evidence fidelity, end to end with the clock fixed: real feed files in their published layouts
 * go through the real parsers, the SQLite store and the lookup, and the answer says what the
 * feeds actually said — their dates, their details, one report counted once, range matches as
 * sources, curated CVE → ATT&CK.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fetch } from 'undici';
import { createLookup, type LookupResponse } from '../../src/enrich.ts';
import { loadBundledData, loadCatalog, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { createIntelligence } from '../../src/intel.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from '../feeds/helpers.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const catalog = loadCatalog();
const intel = createIntelligence();
const hunting = createHuntingQueryBuilder();

const def = (id: string, extra: Partial<FeedDefinition> = {}): FeedDefinition => {
  const d = catalog.get(id);
  assert.ok(d, id);
  return { ...d, ...extra, options: { ...d.options, ...extra.options } };
};

describe('what the feeds said reaches the answer', () => {
  let t: Awaited<ReturnType<typeof tempStore>>;
  let look: (value: string, type?: 'ipv4' | 'url' | 'cve') => Promise<LookupResponse>;
  const env = (store: Store): RunEnv => ({ store, logger: quietLogger, clock: () => NOW, fetch, sleep: async () => {} });
  const factorsOf = (r: LookupResponse, kind: string) => r.risk.factors.filter((f) => f['kind'] === kind);

  before(async () => {
    t = await tempStore();
    const imports: [FeedDefinition, string][] = [
      // PyMISP's sample event: a URL attribute from June 2016 (to_ids false, so included on purpose)
      [def('circl-osint', { options: { includeNonIds: true } }), fixture('misp_event_pymisp.json')],
      [def('circl-osint', { id: 'misp-cert' }), fixture('misp-event-seen-handmade.json')],
      [def('feodotracker'), fixture('feodotracker-ipblocklist-handmade.json')],
      [def('spamhaus-drop'), fixture('drop.txt')],
    ];
    for (const [feed, file] of imports) {
      const run = await runFeed(feed, { kind: 'file', path: file }, env(t.store));
      assert.equal(run.status, 'success', `${feed.id}: ${run.error}`);
    }
    await loadBundledData(t.store, catalog, NOW);
    const info = (id: string) => catalog.info(id) ?? (id === 'misp-cert' ? { id, name: 'Example CERT MISP', category: 'government' as const, reliability: 'B' as const } : undefined);
    const lookup = createLookup({ store: t.store, catalog: { info }, intel, hunting, cache: null, clock: () => NOW });
    look = async (value, type) => {
      const out = await lookup.lookup({ value, ...(type ? { type } : {}) });
      assert.ok(out.ok, value);
      return out.result;
    };
  });
  after(() => t.cleanup());

  it('an old MISP URL scores by its age, not by the day it was imported', async () => {
    const r = await look('http://fake.website.com/malware/is/here');
    const [s] = r.sources;
    assert.equal(s?.last_seen, '2016-06-11T21:41:44Z', "the attribute's own timestamp");
    assert.equal(s?.date_source, 'feed');
    assert.equal(s?.details['report_name'], 'A Random Event');
    assert.equal(r.risk_score, 'low', `scored as a 2016 URL (score ${r.risk.score})`);
    assert.match(String(factorsOf(r, 'sighting')[0]?.['description']), /last seen \d{4} days ago/);
  });

  it('an offline Feodo C2 weighs less than an online one, and says why; its details are shown', async () => {
    const online = await look('198.51.100.77');
    const offline = await look('203.0.113.8');
    assert.ok(offline.risk.score < online.risk.score, `${offline.risk.score} < ${online.risk.score}`);
    assert.match(String(factorsOf(offline, 'status')[0]?.['description']), /Feodo Tracker marks it offline \(last online 2026-11-02\)/);
    assert.equal(factorsOf(online, 'status').length, 0);
    assert.deepEqual(
      [offline.sources[0]?.first_seen, offline.sources[0]?.last_seen, offline.sources[0]?.date_source],
      ['2026-10-01T10:00:00Z', '2026-11-02T00:00:00Z', 'feed'],
      'first seen ≤ last seen, both the feed\'s',
    );
    const d = offline.sources[0]?.details ?? {};
    assert.deepEqual([d['port'], d['status'], d['hostname'], d['asn'], d['as_name'], d['country']], [8080, 'offline', 'vps-8.example.net', 64501, 'EXAMPLE-HOSTING', 'US']);
  });

  it('an address only inside a Spamhaus DROP range is found, with the range as its source', async () => {
    const r = await look('1.10.16.5', 'ipv4');
    assert.equal(r.found, true);
    assert.deepEqual(
      r.sources.map((s) => [s.feed_name, s.category, s.match, s.matched_value, s.details['sbl']]),
      [['Spamhaus DROP', 'commercial', 'range', '1.10.16.0/20', 'SBL256894']],
    );
    assert.equal(r.sources[0]?.date_source, 'file', "dated by the list's own Last-Modified line");
    assert.equal(r.sources[0]?.last_seen, '2025-01-17T17:03:47Z');
    assert.equal(r.first_seen, '2025-01-17T17:03:47Z');
  });

  it('a URL and its host from one MISP event count as one report', async () => {
    const r = await look('http://update.example-cdn.com/tb/loader.bin', 'url');
    assert.deepEqual(r.sources.map((s) => [s.match, s.matched_value]), [['exact', 'http://update.example-cdn.com/tb/loader.bin'], ['host', 'update.example-cdn.com']]);
    assert.equal(r.sources[0]?.details['report_id'], r.sources[1]?.details['report_id']);
    assert.match(String(factorsOf(r, 'same_origin')[0]?.['description']), /2 entries of one report \(MISP event "Emotet epoch 5 distribution with Trickbot follow-up" on Example CERT MISP\), counted once/);
    assert.equal(factorsOf(r, 'corroboration').length, 0, 'one report does not corroborate itself');
  });

  it('the bundled KEV snapshot is dated by CISA: added then, listed as of the catalog release', async () => {
    const r = await look('CVE-2021-44228');
    const kev = r.sources.find((s) => s.feed_name === 'CISA Known Exploited Vulnerabilities');
    assert.deepEqual([kev?.first_seen, kev?.last_seen?.slice(0, 10), kev?.date_source], ['2021-12-10T00:00:00Z', '2025-08-25', 'feed']);
    assert.equal((await t.store.feedState('cisa-kev'))?.dataAsOf?.slice(0, 10), '2025-08-25', 'the install is as old as the catalog it ships');
  });

  it('CVE-2012-0158 (a document exploit) maps to T1203, not the public-facing T1190 by rule', async () => {
    const r = await look('CVE-2012-0158');
    const rule = r.mitre_techniques.filter((x) => x.derived_from === 'kev').map((x) => x.id);
    assert.ok(rule.includes('T1203'), rule.join(', '));
    assert.ok(!rule.includes('T1190'), 'no rule-based T1190');
  });

  it('a CTID-mapped KEV CVE shows its techniques with their mapping types', async () => {
    const r = await look('CVE-2021-44228');
    const ctid = r.mitre_techniques.filter((x) => x.derived_from === 'ctid');
    assert.deepEqual(ctid[0], { id: 'T1190', name: 'Exploit Public-Facing Application', derived_from: 'ctid', mapping_type: 'exploitation_technique' });
    assert.ok(ctid.some((x) => x.mapping_type === 'secondary_impact'));
    assert.equal(r.mitre_techniques.filter((x) => x.derived_from === 'kev').length, 0, 'no rule-based techniques beside a curated mapping');
  });
});
