import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stixBundle, stixObjects, observableOf, indicatorId, TLP_MARKING_IDS, type StixObject } from '../../src/exports/stix.ts';
import type { ExportItem } from '../../src/exports/index.ts';
import { parseStixPattern } from '../../src/feeds/parsers/stix-pattern.ts';
import { makeHarness, type Harness } from '../http/harness.ts';
import { DAY, collect, exportOptions, lookups, seed, stixValidators } from './helpers.ts';

const validators = stixValidators();

async function objectsOf(items: ExportItem[], opts = exportOptions): Promise<StixObject[]> {
  const out: StixObject[] = [];
  for await (const o of stixObjects(items, opts)) out.push(o);
  return out;
}

describe('STIX 2.1 export', () => {
  let h: Harness;
  let items: ExportItem[];
  before(async () => {
    h = await makeHarness();
    await seed(h);
    items = await lookups(h);
  });
  after(() => h.close());

  test('every object and the bundle validate against the official STIX 2.1 schemas', async () => {
    const bundle = JSON.parse(await collect(stixBundle(items, exportOptions))) as { type: string; id: string; objects: StixObject[] };
    const types = new Set<string>();
    for (const o of bundle.objects) {
      const v = validators.of(o.type);
      assert.ok(v(o), `${o.type} ${o.id}: ${JSON.stringify(v.errors?.slice(0, 3))}`);
      types.add(o.type);
    }
    assert.ok(validators.bundle(bundle), JSON.stringify(validators.bundle.errors?.slice(0, 3)));
    for (const t of ['indicator', 'ipv4-addr', 'domain-name', 'url', 'file', 'email-addr', 'vulnerability', 'identity', 'relationship', 'attack-pattern', 'malware', 'sighting', 'marking-definition']) {
      assert.ok(types.has(t), `the export has a ${t}`);
    }
    // ids unique, and every reference points at an object of the bundle (TLP creator excepted)
    const ids = new Set(bundle.objects.map((o) => o.id));
    assert.equal(ids.size, bundle.objects.length, 'no object twice');
    for (const o of bundle.objects) {
      for (const ref of [o['source_ref'], o['target_ref'], o['sighting_of_ref'], ...((o['where_sighted_refs'] as string[]) ?? []), ...((o['object_marking_refs'] as string[]) ?? [])]) {
        if (ref !== undefined) assert.ok(ids.has(ref as string), `${o.id} refers to ${String(ref)} which the bundle holds`);
      }
    }
  });

  test('ids are UUIDv5 of type and value: a second export gives the same objects', async () => {
    const a = await objectsOf(items);
    const b = await objectsOf(items, { ...exportOptions, now: new Date(exportOptions.now.getTime() + DAY) });
    assert.deepEqual(b, a);
    const ind = a.find((o) => o.type === 'indicator' && (o['pattern'] as string).includes('203.0.113.77'))!;
    assert.equal(ind.id, indicatorId('ipv4', '203.0.113.77'));
    assert.match(ind.id, /^indicator--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(indicatorId('domain', '203.0.113.77'), ind.id, 'the type is part of the name');
    // SCO ids follow STIX 2.1 §2.9: UUIDv5 in the STIX namespace over the canonical JSON of the id properties
    const sha1 = createHash('sha1').update(Buffer.from('00abedb4aa42466c9c01fed23315a9b7', 'hex')).update('{"value":"198.51.100.3"}').digest('hex');
    const expected = `${sha1.slice(0, 8)}-${sha1.slice(8, 12)}-5${sha1.slice(13, 16)}-${((parseInt(sha1.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${sha1.slice(18, 20)}-${sha1.slice(20, 32)}`;
    assert.equal(observableOf('ipv4', '198.51.100.3')!.sco.id, `ipv4-addr--${expected}`);
  });

  test('indicators carry a pattern Verdict\'s own STIX reader reads back, valid from first seen until the decay lifetime after last seen', async () => {
    const objs = await objectsOf(items);
    const indicators = objs.filter((o) => o.type === 'indicator');
    assert.equal(indicators.length, 5, 'IP, domain, URL, hash and email (a CVE is a vulnerability)');
    for (const ind of indicators) {
      const parsed = parseStixPattern(ind['pattern'] as string);
      assert.ok(parsed.ok, `${ind['pattern'] as string}: ${JSON.stringify(parsed)}`);
    }
    const url = indicators.find((o) => (o['name'] as string).startsWith('url '))!;
    const p = parseStixPattern(url['pattern'] as string);
    const urlValue = items.find((i) => i.type === 'url')!.value;
    assert.ok(urlValue.includes("'") && urlValue.includes('|'), urlValue);
    // the quote escaped in the pattern; `|`, which no URI may hold, percent-encoded as in the SCO
    assert.ok(p.ok && p.terms.some((i) => i.value === urlValue.replace('|', '%7C')), `read back: ${url['pattern'] as string}`);
    assert.equal(observableOf('email', "o'neil\\x@example.com")!.pattern, "[email-addr:value = 'o\\'neil\\\\x@example.com']", 'quote and backslash escaped');
    const ip = indicators.find((o) => (o['name'] as string).startsWith('ipv4 '))!;
    assert.equal(ip['valid_from'], '2026-10-15T00:00:00.000Z', 'the earliest first seen');
    assert.equal(ip['valid_until'], new Date(Date.parse('2026-11-29T00:00:00Z') + 60 * DAY).toISOString(), 'last seen + 60 days (ipv4 lifetime)');
    const hash = indicators.find((o) => (o['name'] as string).startsWith('sha256 '))!;
    assert.equal(hash['valid_until'], undefined, 'hashes do not decay');
    assert.equal(hash['pattern'], `[file:hashes.'SHA-256' = '${'a'.repeat(64)}']`);
  });

  test('techniques, families, feeds and sightings: attack-pattern with its ATT&CK reference, malware, identity per feed', async () => {
    const objs = await objectsOf(items);
    const ap = objs.find((o) => o.type === 'attack-pattern' && (o['external_references'] as { external_id: string }[])[0]!.external_id === 'T1071.001');
    assert.ok(ap, 'T1071.001 exported');
    assert.deepEqual((ap['external_references'] as unknown[])[0], { source_name: 'mitre-attack', external_id: 'T1071.001', url: 'https://attack.mitre.org/techniques/T1071/001/' });
    const ipId = indicatorId('ipv4', '203.0.113.77');
    assert.ok(objs.some((o) => o.type === 'relationship' && o['source_ref'] === ipId && o['target_ref'] === ap.id && o['relationship_type'] === 'indicates'));
    const emotet = objs.find((o) => o.type === 'malware' && o['name'] === 'Emotet')!;
    assert.ok(objs.some((o) => o.type === 'relationship' && o['source_ref'] === ipId && o['target_ref'] === emotet.id));
    const identities = objs.filter((o) => o.type === 'identity').map((o) => o['name']).sort();
    assert.deepEqual(identities, ['CISA Alerts', 'Emerging Threats', 'Verdict']);
    const sightings = objs.filter((o) => o.type === 'sighting' && o['sighting_of_ref'] === ipId);
    assert.equal(sightings.length, 2, 'one per feed');
    const cve = objs.find((o) => o.type === 'vulnerability')!;
    assert.equal(cve['name'], 'CVE-2021-44228');
    assert.ok(objs.some((o) => o.type === 'sighting' && o['sighting_of_ref'] === cve.id));
  });

  test('TLP 2.0: the stricter of the asked level and each feed\'s own', async () => {
    const objs = await objectsOf(items);
    const ip = objs.find((o) => o.id === indicatorId('ipv4', '203.0.113.77'))!;
    assert.deepEqual(ip['object_marking_refs'], [TLP_MARKING_IDS.amber], 'Emerging Threats stated amber');
    const domain = objs.find((o) => o.id === indicatorId('domain', 'evil.example.com'))!;
    assert.deepEqual(domain['object_marking_refs'], [TLP_MARKING_IDS.clear], 'a government feed is clear by default');
    const red = await objectsOf(items, { ...exportOptions, tlp: 'red' } as typeof exportOptions);
    for (const o of red.filter((x) => x.type !== 'marking-definition' && x['object_marking_refs'] !== undefined)) {
      assert.deepEqual(o['object_marking_refs'], [TLP_MARKING_IDS.red], o.id);
    }
    const def = red.find((o) => o.type === 'marking-definition')!;
    assert.equal(def['name'], 'TLP:RED');
  });

  test('an indicator nobody reported exports nothing; the bundle is still valid', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=198.51.100.200', headers: h.auth() });
    const bundle = JSON.parse(await collect(stixBundle([res.json() as ExportItem], exportOptions)));
    assert.equal(bundle.objects, undefined, 'a bundle holds one or more objects, or none at all');
    assert.ok(validators.bundle(bundle), JSON.stringify(validators.bundle.errors));
  });

  test('a bundle of 10,000 indicators streams (bench:export streams 100,000) in chunks without holding it', async () => {
    const base = items[0]!;
    const n = 10_000;
    async function* many(): AsyncIterable<ExportItem> {
      for (let i = 0; i < n; i++) yield { ...base, value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
    }
    let chunks = 0;
    let largest = 0;
    let bytes = 0;
    let indicators = 0;
    for await (const c of stixBundle(many(), exportOptions)) {
      chunks++;
      largest = Math.max(largest, c.length);
      bytes += c.length;
      indicators += c.split('"type":"indicator"').length - 1;
    }
    assert.equal(indicators, n);
    assert.ok(chunks > 10, `many chunks (${chunks})`);
    assert.ok(largest < 256 * 1024, `no chunk holds the bundle (largest ${largest} of ${bytes} bytes)`);
  });
});
