/**
 * Evidence on an IP's AS counts as context, like a range: an address inside an AS that Spamhaus
 * ASN-DROP lists is found through it (`match: "asn"`) and scored with the `asn` context weight,
 * below the same report on the address itself. On both stores, through the real lookup.
 *
 * The AS is AS65002, a private-use number that the bundled IP-to-AS table gives 23.26.105.0/24
 * (so no real network is named as listed); the record is made by the ASN-DROP reader itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLookup, type LookupResponse } from '../../src/enrich.ts';
import { asnDropJsonLine } from '../../src/feeds/parsers/spamhaus-asndrop.ts';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { createIntelligence } from '../../src/intel.ts';
import type { FeedInfo, SightingRecord } from '../../src/model.ts';
import type { Store } from '../../src/store/types.ts';
import { quietLogger, tempStore } from '../feeds/helpers.ts';
import { freshPostgresStore } from '../scaleout/postgres.ts';
import { postgresForTests } from '../scaleout/services.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const DAY_BEFORE = '2026-11-29T12:00:00.000Z';
const intel = createIntelligence();
const FEEDS: FeedInfo[] = [
  { id: 'spamhaus-asndrop', name: 'Spamhaus ASN-DROP', category: 'commercial', reliability: 'A' },
  { id: 'spamhaus-drop', name: 'Spamhaus DROP', category: 'commercial', reliability: 'A' },
];
const IN_AS = '23.26.105.7';
const IN_AS_V6_MAPPED = '::ffff:23.26.105.8';
const ELSEWHERE = '37.120.0.1';

const asnRecord = (): SightingRecord => {
  const r = asnDropJsonLine('{"asn":65002,"rir":"arin","cc":"US","asname":"EXAMPLE-PRIVATE-AS"}');
  assert.ok(r !== null && 'type' in r, 'the ASN-DROP reader makes a record');
  return r as SightingRecord;
};

function scenario(engine: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>, skip: string | false = false): void {
  describe(`the AS as context (${engine})`, { skip }, () => {
    let t: { store: Store; cleanup(): Promise<void> };
    let look: (value: string) => Promise<LookupResponse>;
    before(async () => {
      t = await open();
      await t.store.ingest({ feedId: 'spamhaus-asndrop', mode: 'snapshot', runAt: DAY_BEFORE }, [asnRecord()]);
      // the same kind of report, on an address itself: what the AS match is weighed against
      await t.store.ingest({ feedId: 'spamhaus-drop', mode: 'snapshot', runAt: DAY_BEFORE }, [{ type: 'ipv4', value: ELSEWHERE, threatType: 'hijacked_range' }]);
      const lookup = createLookup({ store: t.store, catalog: { info: (id) => FEEDS.find((f) => f.id === id) }, intel, hunting: createHuntingQueryBuilder(), cache: null, clock: () => NOW });
      look = async (value) => {
        const out = await lookup.lookup({ value });
        assert.ok(out.ok, value);
        return out.result;
      };
    });
    after(() => t?.cleanup());

    it('an address inside a listed AS is found through its AS, and the source says so', async () => {
      const r = await look(IN_AS);
      assert.equal(r.related['network'] && (r.related['network'] as { asn: string }).asn, 'AS65002', 'the table gives the AS');
      assert.equal(r.found, true);
      assert.deepEqual(
        r.sources.map((s) => [s.feed_name, s.match, s.matched_value, s.threat_type]),
        [['Spamhaus ASN-DROP', 'asn', 'AS65002', 'hijacked_range']],
      );
      assert.deepEqual(r.sources[0]!.details['as_name'], 'EXAMPLE-PRIVATE-AS');
      assert.equal(r.first_seen, '2026-11-29T12:00:00Z');
    });

    it('scored with the asn context weight, below the same report on an address itself, and the factor explains it', async () => {
      const viaAs = await look(IN_AS);
      const exact = await look(ELSEWHERE);
      assert.deepEqual(exact.sources.map((s) => s.match), ['exact']);
      assert.ok(viaAs.risk.score > 0, 'an AS listing counts');
      assert.ok(viaAs.risk.score < exact.risk.score, `AS ${viaAs.risk.score} < exact ${exact.risk.score}`);
      const factor = viaAs.risk.factors.find((f) => f['kind'] === 'context');
      assert.ok(factor, JSON.stringify(viaAs.risk.factors));
      assert.deepEqual([factor['relation'], factor['value'], factor['feed_id']], ['asn', 'AS65002', 'spamhaus-asndrop']);
      assert.match(String(factor['description']), /Spamhaus ASN-DROP \(commercial, reliability A\) reported its AS AS65002 as hijacked_range/);
      // reliability A (1.0) × no stated confidence × the AS report's decay × the asn context weight
      const weight = intel.rules.contextWeight.asn;
      assert.ok(weight > 0 && weight < intel.rules.contextWeight.range, 'an AS is wider than a listed range');
      const expected = intel.rules.reliability.A * intel.rules.unstatedConfidence * Number(factor['decay']) * weight;
      assert.ok(Math.abs(Number(factor['probability']) - expected) < 0.002, `${factor['probability']} ≈ ${expected} (both rounded to 3 places)`);
    });

    it('an IPv4-mapped address is found through the AS of its IPv4 address', async () => {
      const r = await look(IN_AS_V6_MAPPED);
      assert.deepEqual(r.sources.map((s) => [s.match, s.matched_value]), [['asn', 'AS65002']]);
    });

    it('an address of another AS, a private one and a URL on the listed AS are not found through it', async () => {
      for (const value of ['8.8.8.8', '10.0.0.1', `http://${IN_AS}/x`]) {
        const r = await look(value);
        assert.equal(r.sources.some((s) => s.match === 'asn'), false, value);
      }
    });

    it('the AS number itself is found exactly', async () => {
      const r = await look('AS65002');
      assert.deepEqual(r.sources.map((s) => [s.match, s.matched_value]), [['exact', 'AS65002']]);
      assert.equal(r.related['network'], undefined);
    });
  });
}

scenario('SQLite', tempStore);
const PG = await postgresForTests();
scenario('PostgreSQL', async () => freshPostgresStore(PG ?? '', { logger: quietLogger }), PG === null ? 'no PostgreSQL reachable' : false);
