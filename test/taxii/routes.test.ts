/**
 * The TAXII 2.1 server on both engines: discovery, API root, collections, objects paged by `next`
 * and by `added_after` (nothing missed, nothing repeated), the match filters, one object, its
 * versions, the manifest, the date headers, content negotiation, authentication (Bearer, Basic
 * password, none, wrong scope, address, rate limit) and TAXII's error envelope; every object
 * served validates against the official STIX 2.1 schemas.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { onBothEngines, NOW, type Harness } from '../http/harness.ts';
import { stixValidators } from '../exports/helpers.ts';
import { parseStixPattern } from '../../src/feeds/parsers/stix-pattern.ts';
import { collectionId } from '../../src/taxii/ids.ts';
import { indicatorId, vulnerabilityId, verdictIdentityId } from '../../src/exports/stix.ts';
import { REFERENCE_OBJECTS } from '../../src/taxii/objects.ts';
import type { SightingRecord } from '../../src/model.ts';

const TAXII = 'application/taxii+json;version=2.1';
const ALL = collectionId('all');
const validators = stixValidators();
const day = (n: number): string => new Date(NOW.getTime() - n * 86_400_000).toISOString();

type Obj = Record<string, unknown> & { id: string; type: string };
interface Envelope {
  more: boolean;
  next?: string;
  objects?: Obj[];
}

/** 20 addresses from the government feed, 3 of them also from the community feed, a domain, a URL and a CVE. */
function government(): SightingRecord[] {
  const out: SightingRecord[] = [];
  for (let i = 1; i <= 20; i++) out.push({ type: 'ipv4', value: `203.0.113.${i}`, threatType: i % 2 === 0 ? 'botnet_cc' : 'scanner', firstSeen: day(10 + i), lastSeen: day(1 + (i % 5)) });
  out.push({ type: 'domain', value: 'bad-harbor.example', threatType: 'phishing', firstSeen: day(40), lastSeen: day(3) });
  out.push({ type: 'url', value: "http://bad-harbor.example/it's|here", threatType: 'payload_delivery', firstSeen: day(5), lastSeen: day(2) });
  out.push({ type: 'cve', value: 'CVE-2021-44228', threatType: 'exploited_vulnerability', firstSeen: day(400), lastSeen: day(5) });
  return out;
}
const community = (): SightingRecord[] => [1, 2, 3].map((i) => ({ type: 'ipv4' as const, value: `203.0.113.${i}`, threatType: 'botnet_cc', malwareFamily: 'Emotet', confidence: 90, firstSeen: day(12), lastSeen: day(1) }));
const ROWS = 23;

function suite(engine: string, open: () => Promise<Harness>): void {
  describe(`TAXII 2.1 server (${engine})`, () => {
    let h: Harness;
    let exporter: string;
    before(async () => {
      h = await open();
      exporter = (await h.createKey('enterprise', ['read:export'])).key;
      await h.ingest('cisa-alerts', government());
      await h.ingest('emerging-threats', community());
    });
    after(() => h.close());

    const get = (url: string, headers: Record<string, string> = h.auth(exporter)) => h.app.inject({ method: 'GET', url, headers });
    const json = async <T>(url: string): Promise<T> => {
      const res = await get(url);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      assert.equal(res.headers['content-type'], TAXII);
      return JSON.parse(res.body) as T;
    };
    /** Every object of a collection through `next`, checking each page. */
    async function byNext(collection: string, params = '', limit = 4): Promise<Obj[]> {
      const out: Obj[] = [];
      let next: string | undefined;
      for (let i = 0; i < 100; i++) {
        const url = `/taxii2/api/collections/${collection}/objects/?limit=${limit}${params}${next ? `&next=${encodeURIComponent(next)}` : ''}`;
        const res = await get(url);
        assert.equal(res.statusCode, 200, res.body);
        const env = JSON.parse(res.body) as Envelope;
        const objs = env.objects ?? [];
        assert.ok(objs.length <= limit);
        out.push(...objs);
        if (!env.more) {
          assert.equal(env.next, undefined, 'no next on the last page');
          return out;
        }
        assert.ok(typeof env.next === 'string' && objs.length > 0, 'more comes with a next and objects');
        next = env.next;
      }
      assert.fail('the pages never ended');
    }

    test('discovery names the one API root; the API root says TAXII 2.1 and the largest request', async () => {
      const d = await json<{ title: string; default: string; api_roots: string[] }>('/taxii2/');
      assert.match(d.default, /^http:\/\/[^/]+\/taxii2\/api\/$/);
      assert.deepEqual(d.api_roots, [d.default]);
      assert.ok(d.title.length > 0);
      const root = await json<{ title: string; versions: string[]; max_content_length: number }>('/taxii2/api/');
      assert.deepEqual(root.versions, [TAXII]);
      assert.equal(root.max_content_length, h.config.bodyLimit);
      assert.ok(root.title.length > 0);
    });

    test('collections: all, high-confidence and one per feed category, with stable ids, readable, not writable', async () => {
      const { collections } = await json<{ collections: { id: string; alias: string; title: string; can_read: boolean; can_write: boolean; media_types: string[] }[] }>('/taxii2/api/collections/');
      assert.deepEqual(collections.map((c) => c.alias), ['all', 'high-confidence', 'government', 'community', 'commercial', 'research', 'internal']);
      for (const c of collections) {
        assert.equal(c.id, collectionId(c.alias), 'UUIDv5 of the name');
        assert.match(c.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(c.can_read, true);
        assert.equal(c.can_write, false);
        assert.deepEqual(c.media_types, ['application/stix+json;version=2.1']);
        assert.deepEqual(await json(`/taxii2/api/collections/${c.id}/`), c);
      }
      // pinned: a client configured with a collection id keeps it across upgrades
      assert.equal(collectionId('all'), '2c5afc10-d8e1-50ca-88c4-c406a8a04b16');
      assert.equal(collectionId('high-confidence'), 'bcd51677-b59f-5475-b777-dea8641ac3e1');
    });

    test('objects by next: every object once, reference objects first, each valid STIX 2.1 as the export writes it', async () => {
      const objs = await byNext(ALL);
      assert.equal(objs.length, REFERENCE_OBJECTS.length + ROWS);
      assert.equal(new Set(objs.map((o) => o.id)).size, objs.length, 'no object twice');
      assert.deepEqual(objs.slice(0, REFERENCE_OBJECTS.length).map((o) => o.id), REFERENCE_OBJECTS.map((o) => o.id));
      const ids = new Set(objs.map((o) => o.id));
      for (const o of objs) {
        const v = validators.of(o.type);
        assert.ok(v(o), `${o.type} ${o.id}: ${JSON.stringify(v.errors?.slice(0, 3))}`);
        for (const ref of [o['created_by_ref'], ...((o['object_marking_refs'] as string[] | undefined) ?? [])]) {
          if (ref !== undefined && o.type !== 'marking-definition') assert.ok(ids.has(ref as string), `${o.id} refers to ${String(ref)}, which the collection holds`);
        }
      }
      const indicators = objs.filter((o) => o.type === 'indicator');
      assert.equal(indicators.length, ROWS - 1, 'the CVE is a vulnerability');
      for (const ind of indicators) assert.ok(parseStixPattern(ind['pattern'] as string).ok, ind['pattern'] as string);
      assert.ok(ids.has(indicatorId('ipv4', '203.0.113.7')));
      assert.ok(ids.has(vulnerabilityId('CVE-2021-44228')));
      const ip = indicators.find((o) => o.id === indicatorId('ipv4', '203.0.113.1'))!;
      assert.equal(ip['created_by_ref'], verdictIdentityId);
      assert.equal(ip['valid_from'], day(12), 'the earliest first seen');
      assert.doesNotMatch(ip['description'] as string, /\/100/, 'no score: decay moves it without a new version');
      assert.equal(ip['modified'], (await json<{ objects: { id: string; version: string }[] }>(`/taxii2/api/collections/${ALL}/manifest/?match[id]=${ip.id}`)).objects[0]!.version);
    });

    test('manifest: date_added unique and rising, versions as the objects carry them; the headers date each page', async () => {
      const res = await get(`/taxii2/api/collections/${ALL}/manifest/?limit=100`);
      assert.equal(res.statusCode, 200, res.body);
      const m = JSON.parse(res.body) as { more: boolean; objects: { id: string; date_added: string; version: string; media_type: string }[] };
      assert.equal(m.more, false);
      assert.equal(m.objects.length, REFERENCE_OBJECTS.length + ROWS);
      const rows = m.objects.slice(REFERENCE_OBJECTS.length);
      for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.date_added > rows[i - 1]!.date_added, `${rows[i - 1]!.date_added} < ${rows[i]!.date_added}`);
      for (const r of rows) {
        assert.match(r.date_added, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        assert.equal(r.version, r.date_added, 'a row version is when Verdict recorded it');
        assert.equal(r.media_type, 'application/stix+json;version=2.1');
      }
      assert.equal(res.headers['x-taxii-date-added-first'], m.objects[0]!.date_added);
      assert.equal(res.headers['x-taxii-date-added-last'], m.objects[m.objects.length - 1]!.date_added);
      const page = await get(`/taxii2/api/collections/${ALL}/objects/?limit=3&added_after=${rows[5]!.date_added}`);
      const objs = (JSON.parse(page.body) as Envelope).objects!;
      assert.deepEqual(objs.map((o) => o.id), rows.slice(6, 9).map((r) => r.id));
      assert.equal(page.headers['x-taxii-date-added-first'], rows[6]!.date_added);
      assert.equal(page.headers['x-taxii-date-added-last'], rows[8]!.date_added);
    });

    test('a client paging by added_after alone (the last date_added it saw) misses nothing and repeats nothing; a changed indicator comes again as a new version', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 100; i++) {
        const res = await get(`/taxii2/api/collections/${ALL}/objects/?limit=5${after === null ? '' : `&added_after=${after}`}`);
        const env = JSON.parse(res.body) as Envelope;
        seen.push(...(env.objects ?? []).map((o) => o.id));
        after = (res.headers['x-taxii-date-added-last'] as string | undefined) ?? after;
        if (!env.more) break;
      }
      assert.equal(seen.length, REFERENCE_OBJECTS.length + ROWS);
      assert.equal(new Set(seen).size, seen.length);
      const mark = after!;
      // nothing new: an empty envelope
      const none = JSON.parse((await get(`/taxii2/api/collections/${ALL}/objects/?added_after=${mark}`)).body) as Envelope;
      assert.deepEqual(none, { more: false });
      // sighted again later: the one indicator comes back, with a version after the one before
      const before = (await json<{ objects: { version: string }[] }>(`/taxii2/api/collections/${ALL}/manifest/?match[id]=${indicatorId('ipv4', '203.0.113.9')}`)).objects[0]!.version;
      h.setNow(new Date(NOW.getTime() + 3_600_000));
      try {
        await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '203.0.113.9', threatType: 'scanner', firstSeen: day(19), lastSeen: day(0) }]);
        const env = JSON.parse((await get(`/taxii2/api/collections/${ALL}/objects/?added_after=${mark}`)).body) as Envelope;
        assert.deepEqual(env.objects?.map((o) => o.id), [indicatorId('ipv4', '203.0.113.9')]);
        assert.ok((env.objects![0]!['modified'] as string) > before, 'a new version');
      } finally {
        h.setNow(NOW);
      }
    });

    test('match[type], match[id], match[version] and match[spec_version] select what they say', async () => {
      const ids = async (q: string) => (await byNext(ALL, q, 50)).map((o) => o.id);
      const types = async (q: string) => [...new Set((await byNext(ALL, q, 50)).map((o) => o.type))].sort();
      assert.deepEqual(await types('&match[type]=indicator'), ['indicator']);
      assert.deepEqual(await ids('&match[type]=vulnerability'), [vulnerabilityId('CVE-2021-44228')]);
      assert.deepEqual(await types('&match[type]=identity,marking-definition'), ['identity', 'marking-definition']);
      assert.deepEqual(await ids('&match[type]=malware'), []);
      const two = [indicatorId('ipv4', '203.0.113.4'), vulnerabilityId('CVE-2021-44228')];
      assert.deepEqual((await ids(`&match[id]=${two.join(',')}`)).sort(), [...two].sort());
      const all = await ids('');
      for (const v of ['first', 'last', 'all', 'first,last']) assert.deepEqual(await ids(`&match[version]=${v}`), all, v);
      const m = (await json<{ objects: { id: string; version: string }[] }>(`/taxii2/api/collections/${ALL}/manifest/?match[id]=${two[0]}`)).objects[0]!;
      assert.deepEqual(await ids(`&match[version]=${m.version}`), [two[0]]);
      assert.deepEqual(await ids(`&match[id]=${two[0]}&match[version]=2020-01-01T00:00:00Z`), []);
      assert.deepEqual(await ids('&match[spec_version]=2.0'), []);
      assert.deepEqual(await ids('&match[spec_version]=2.0,2.1'), all);
    });

    test('one object, its versions; an unknown object or collection is a 404 in the TAXII envelope', async () => {
      const id = indicatorId('domain', 'bad-harbor.example');
      const one = await json<Envelope>(`/taxii2/api/collections/${ALL}/objects/${id}/`);
      assert.equal(one.more, false);
      assert.deepEqual(one.objects?.map((o) => o.id), [id]);
      const versions = await json<{ more: boolean; versions: string[] }>(`/taxii2/api/collections/${ALL}/objects/${id}/versions/`);
      assert.deepEqual(versions, { more: false, versions: [one.objects![0]!['modified']] });
      assert.deepEqual(await json(`/taxii2/api/collections/${ALL}/objects/${id}/versions/?match[version]=2020-01-01T00:00:00Z`), versions, 'versions/ lists every version: no match[version] there');
      const identity = await json<Envelope>(`/taxii2/api/collections/${ALL}/objects/${verdictIdentityId}/`);
      assert.equal(identity.objects?.[0]?.type, 'identity');
      // known, but not of this version: an empty envelope, not a 404
      assert.deepEqual(await json(`/taxii2/api/collections/${ALL}/objects/${id}/?match[version]=2020-01-01T00:00:00Z`), { more: false });
      for (const url of [
        `/taxii2/api/collections/${ALL}/objects/${indicatorId('domain', 'never.example')}/`,
        `/taxii2/api/collections/${ALL}/objects/${indicatorId('domain', 'never.example')}/versions/`,
        `/taxii2/api/collections/${collectionId('nope')}/objects/`,
        `/taxii2/api/collections/${collectionId('nope')}/`,
        '/taxii2/api/nothing-here/',
      ]) {
        const res = await get(url);
        assert.equal(res.statusCode, 404, url);
        assert.equal(res.headers['content-type'], TAXII, url);
        const e = res.json();
        assert.equal(e.title, 'Not found', url);
        assert.equal(e.http_status, '404', url);
        assert.equal(typeof e.description, 'string');
        assert.equal('error' in e, false, "not Verdict's own envelope");
      }
    });

    test('the collections are read-only: a POST of objects is a 405 in the TAXII envelope', async () => {
      const res = await h.app.inject({ method: 'POST', url: `/taxii2/api/collections/${ALL}/objects/`, headers: { ...h.auth(exporter), 'content-type': 'application/taxii+json;version=2.1' }, payload: '{"objects":[]}' });
      assert.equal(res.statusCode, 405, res.body);
      assert.equal(res.headers['allow'], 'GET, HEAD');
      assert.equal(res.headers['content-type'], TAXII);
      assert.equal(res.json().http_status, '405');
      const nowhere = await h.app.inject({ method: 'POST', url: '/taxii2/api/nothing/', headers: h.auth(exporter) });
      assert.equal(nowhere.statusCode, 404);
    });

    test('high-confidence holds what the catalogue rates high or critical with medium or high confidence; a category collection what its feeds list', async () => {
      const hc = (await byNext(collectionId('high-confidence'), '&match[type]=indicator,vulnerability', 50)).map((o) => o.id);
      const catalogue = (await h.app.inject({ method: 'GET', url: '/api/v1/iocs?limit=1000', headers: h.auth() })).json() as { iocs: { type: string; value: string; risk_score: string; confidence: string }[] };
      const expected = catalogue.iocs
        .filter((i) => ['high', 'critical'].includes(i.risk_score) && ['medium', 'high'].includes(i.confidence))
        .map((i) => (i.type === 'cve' ? vulnerabilityId(i.value) : indicatorId(i.type as 'ipv4', i.value)));
      assert.ok(expected.length > 0 && expected.length < ROWS, `the rule splits the seeded data (${expected.length})`);
      assert.deepEqual([...hc].sort(), [...expected].sort());
      const comm = (await byNext(collectionId('community'), '&match[type]=indicator', 50)).map((o) => o.id);
      assert.deepEqual(comm.sort(), [1, 2, 3].map((i) => indicatorId('ipv4', `203.0.113.${i}`)).sort());
      assert.deepEqual(await byNext(collectionId('research'), '&match[type]=indicator'), []);
    });

    test('content negotiation: TAXII 2.1, any TAXII, */* and no Accept are served; anything else is a 406 in the TAXII envelope', async () => {
      const auth = h.auth(exporter);
      for (const accept of [TAXII, 'application/taxii+json', 'application/taxii+json; version=2.1', '*/*', 'application/*', 'text/html, */*;q=0.1']) {
        const res = await get('/taxii2/api/collections/', { ...auth, accept });
        assert.equal(res.statusCode, 200, accept);
        assert.equal(res.headers['content-type'], TAXII);
      }
      for (const accept of ['application/json', 'application/taxii+json;version=2.0', 'text/html', 'application/taxii+json;q=0']) {
        const res = await get(`/taxii2/api/collections/${ALL}/objects/`, { ...auth, accept });
        assert.equal(res.statusCode, 406, accept);
        assert.equal(res.headers['content-type'], TAXII);
        const e = res.json();
        assert.equal(e.http_status, '406');
        assert.equal(e.title, 'Not acceptable');
        assert.match(e.description, /taxii\+json/);
      }
    });

    test('auth: Bearer or the Basic password with read:export; none, a wrong key, another scope, another address and too many requests are refused in the TAXII envelope', async () => {
      const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
      assert.equal((await get('/taxii2/api/collections/', basic('opencti', exporter))).statusCode, 200, 'Basic, any user name');
      assert.equal((await get('/taxii2/api/collections/', basic('', exporter))).statusCode, 200, 'Basic, no user name');
      const refusals: [string, Record<string, string>, number, string][] = [
        ['no key', {}, 401, 'missing_api_key'],
        ['Basic without a password', basic('opencti', ''), 401, 'missing_api_key'],
        ['a wrong key', basic('opencti', 'sk_live_nope'), 401, 'invalid_api_key'],
        ['another scheme', { authorization: 'Digest abc' }, 401, 'invalid_api_key'],
        ['read:iocs only', h.auth((await h.createKey('pro', ['read:iocs'])).key), 403, 'insufficient_scope'],
      ];
      const allowList = await h.app.inject({ method: 'POST', url: '/api/v1/keys', headers: h.auth(), payload: { name: 'elsewhere', tier: 'pro', scopes: ['read:export'], allowed_ips: ['10.1.0.0/16'] } });
      assert.equal(allowList.statusCode, 201, allowList.body);
      refusals.push(['another address', basic('x', allowList.json().key as string), 403, 'ip_not_allowed']);
      for (const [what, headers, status, code] of refusals) {
        const res = await get(`/taxii2/api/collections/${ALL}/objects/`, headers);
        assert.equal(res.statusCode, status, `${what}: ${res.body}`);
        assert.equal(res.headers['content-type'], TAXII, what);
        const e = res.json();
        assert.equal(e.http_status, String(status), what);
        assert.equal(e.error_code, code, what);
        assert.equal(e.error_id, res.headers['x-request-id'], what);
        if (status === 401) assert.match(String(res.headers['www-authenticate']), /^Basic /, what);
      }
      // the key's tier limits apply: the free tier's 10 a minute
      const free = (await h.createKey('free', ['read:export'])).key;
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await get('/taxii2/api/', basic('sentinel', free))).statusCode);
      assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
      const limited = await get('/taxii2/api/', basic('sentinel', free));
      assert.equal(limited.json().http_status, '429');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      // Basic is taken only by TAXII: elsewhere it stays a scheme Verdict does not accept
      assert.equal((await get('/api/v1/iocs', basic('x', exporter))).statusCode, 401);
    });

    test('bad filters are 400s in the TAXII envelope naming the parameter', async () => {
      const first = JSON.parse((await get(`/taxii2/api/collections/${ALL}/objects/?limit=2`)).body) as Envelope;
      for (const [q, parameter] of [
        ['added_after=yesterday', 'added_after'],
        ['added_after=2026-13-45T00:00:00Z', 'added_after'],
        ['limit=0', 'limit'],
        ['limit=ten', 'limit'],
        ['next=not-a-cursor', 'next'],
        [`next=${first.next}&match[type]=indicator`, 'next'],
        ['match[version]=newest', 'match[version]'],
        ['match[id]=not-an-id', 'match[id]'],
        ['match[type]=Bad Type', 'match[type]'],
      ]) {
        const res = await get(`/taxii2/api/collections/${ALL}/objects/?${q}`);
        assert.equal(res.statusCode, 400, `${q}: ${res.body}`);
        assert.equal(res.headers['content-type'], TAXII);
        const e = res.json();
        assert.equal(e.http_status, '400', q);
        assert.equal(e.details?.parameter, parameter, q);
      }
      // a cursor of one collection is no cursor of another
      const other = await get(`/taxii2/api/collections/${collectionId('government')}/objects/?next=${first.next}`);
      assert.equal(other.statusCode, 400);
      // a limit past the most is served as the most
      assert.equal((await get(`/taxii2/api/collections/${ALL}/objects/?limit=999999`)).statusCode, 200);
    });

    test('the routes are in the OpenAPI document with TAXII media types', async () => {
      const doc = (await h.app.inject({ url: '/openapi.json' })).json();
      for (const p of ['/taxii2', '/taxii2/api/', '/taxii2/api/collections/', '/taxii2/api/collections/{collectionId}/', '/taxii2/api/collections/{collectionId}/objects/', '/taxii2/api/collections/{collectionId}/objects/{objectId}/', '/taxii2/api/collections/{collectionId}/objects/{objectId}/versions/', '/taxii2/api/collections/{collectionId}/manifest/']) {
        assert.ok(doc.paths[p]?.get, `${p} is documented: ${Object.keys(doc.paths).filter((x) => x.includes("taxii")).join(" ")}`);
        assert.ok(doc.paths[p].get.responses['200'].content[TAXII], `${p} answers ${TAXII}`);
      }
      const params = doc.paths['/taxii2/api/collections/{collectionId}/objects/'].get.parameters.map((p: { name: string }) => p.name);
      for (const n of ['added_after', 'limit', 'next', 'match[type]', 'match[id]', 'match[version]', 'match[spec_version]']) assert.ok(params.includes(n), n);
      assert.deepEqual(doc.components.securitySchemes.basic, { type: 'http', scheme: 'basic', description: 'TAXII routes only: the API key as the password, any user name' });
    });
  });
}

if (!(await onBothEngines(suite))) test('TAXII 2.1 server (postgres)', { skip: 'no PostgreSQL reachable' }, () => {});
