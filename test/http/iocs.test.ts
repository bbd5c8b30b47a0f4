/** GET /api/v1/iocs, /api/v1/iocs/search and /api/v1/iocs/stats on both engines: formats, limits per tier, scopes, bad parameters, freshness. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseCsv } from 'csv-parse/sync';
import { onBothEngines, NOW, type Harness } from './harness.ts';
import { CSV_COLUMNS } from '../../src/http/routes/iocs.ts';

const day = (n: number): string => new Date(NOW.getTime() - n * 86_400_000).toISOString();

function suites(engine: string, open: () => Promise<Harness>): void {
  describe(`IOC catalogue routes (${engine})`, () => {
    let h: Harness;
    let reader: string;
    let free: string;
    let lookupOnly: string;
    before(async () => {
      h = await open();
      reader = (await h.createKey('pro', ['read:iocs'])).key;
      free = (await h.createKey('free', ['read:iocs'])).key;
      lookupOnly = (await h.createKey('pro', ['read:lookup'])).key;
      await h.store.ingest({ feedId: 'cisa-alerts', mode: 'incremental', runAt: NOW.toISOString() }, [
        { type: 'ipv4', value: '203.0.113.10', threatType: 'botnet_cc', malwareFamily: 'Emotet', firstSeen: day(2), lastSeen: day(1), confidence: 90, attributes: { report_id: 'rep-1' } },
        { type: 'domain', value: 'bad-harbor.net', threatType: 'phishing', firstSeen: day(40), lastSeen: day(3), attributes: { report_id: 'rep-1' } },
        { type: 'cve', value: 'CVE-2021-44228', threatType: 'exploited_vulnerability', firstSeen: day(400), lastSeen: day(5) },
      ]);
      await h.store.ingest({ feedId: 'emerging-threats', mode: 'incremental', runAt: NOW.toISOString() }, [
        { type: 'ipv4', value: '203.0.113.10', threatType: 'botnet_cc', firstSeen: day(2), lastSeen: day(1) },
        { type: 'ipv4', value: '198.51.100.20', threatType: 'scanner', firstSeen: day(10), lastSeen: day(8) },
      ]);
    });
    after(() => h.close());

    const get = (url: string, key = reader) => h.app.inject({ method: 'GET', url, headers: h.auth(key) });

    test('lists every indicator with the risk a lookup gives it, newest first, with meta', async () => {
      const res = await get('/api/v1/iocs');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual(body.iocs.map((x: { value: string }) => x.value), ['203.0.113.10', 'bad-harbor.net', 'CVE-2021-44228', '198.51.100.20']);
      const lookup = await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=bad-harbor.net', headers: h.auth() });
      const l = lookup.json();
      const d = body.iocs[1];
      assert.equal(d.score, l.risk.score);
      assert.equal(d.risk_score, l.risk_score);
      assert.equal(d.confidence, l.confidence);
      assert.deepEqual(body.iocs[0].feeds, ['cisa-alerts', 'emerging-threats']);
      assert.deepEqual(body.iocs[0].malware_families, ['Emotet']);
      assert.equal(body.meta.total, 4);
      assert.equal(body.meta.total_exact, true);
      assert.equal(body.meta.pending, 0);
      assert.equal(body.meta.data_version, await h.store.dataVersion());
      assert.equal(body.links.next, null);
    });

    test('filters, echoes them, and pages by cursor through links.next', async () => {
      const res = await get('/api/v1/iocs?type=ipv4&feed=cisa-alerts&since=2026-11-01&limit=5');
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().iocs.map((x: { value: string }) => x.value), ['203.0.113.10']);
      assert.deepEqual(res.json().meta.filters, { type: 'ipv4', feed: 'cisa-alerts', since: '2026-11-01T00:00:00.000Z' });
      assert.deepEqual((await get('/api/v1/iocs?family=emotet')).json().iocs.map((x: { value: string }) => x.value), ['203.0.113.10']);
      assert.deepEqual((await get('/api/v1/iocs?cve=cve-2021-44228')).json().iocs.map((x: { value: string }) => x.value), ['CVE-2021-44228']);
      assert.deepEqual((await get('/api/v1/iocs?found_since=2026-11-25')).json().iocs.map((x: { value: string }) => x.value), ['203.0.113.10']);
      const seen: string[] = [];
      let url: string | null = '/api/v1/iocs?limit=3&order=risk';
      while (url !== null) {
        const page = await get(url);
        assert.equal(page.statusCode, 200, page.body);
        seen.push(...page.json().iocs.map((x: { value: string }) => x.value));
        url = page.json().links.next;
        if (url !== null) assert.equal(page.headers.link, `<${url}>; rel="next"`);
      }
      assert.equal(seen.length, 4);
      assert.equal(new Set(seen).size, 4);
    });

    test('csv with its header, ndjson and txt', async () => {
      const csv = await get('/api/v1/iocs?format=csv&order=risk');
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      const rows = parseCsv(csv.body, { columns: true }) as Record<string, string>[];
      assert.deepEqual(Object.keys(rows[0]!), [...CSV_COLUMNS]);
      assert.equal(rows.length, 4);
      const nd = await get('/api/v1/iocs?format=ndjson&limit=2');
      const lines = nd.body.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((x) => x.value), ['203.0.113.10', 'bad-harbor.net']);
      assert.match(String(nd.headers.link), /cursor=/);
      const txt = await get('/api/v1/iocs?format=txt&type=ipv4');
      assert.equal(txt.body, '203.0.113.10\n198.51.100.20\n');
      const next = await get(String(nd.headers.link).slice(1, String(nd.headers.link).indexOf('>')));
      assert.deepEqual(next.body.trim().split('\n').map((l) => JSON.parse(l).value), ['CVE-2021-44228', '198.51.100.20']);
    });

    test("limit is at most the tier's max results; scopes and bad parameters answer in the envelope", async () => {
      const max = h.config.tiers.free.maxResults;
      assert.equal((await get(`/api/v1/iocs?limit=${max}`, free)).statusCode, 200);
      const over = await get(`/api/v1/iocs?limit=${max + 1}`, free);
      assert.equal(over.statusCode, 400);
      assert.equal(over.json().error.code, 'invalid_parameter');
      assert.equal(over.json().error.details.limit, max);
      assert.equal((await get(`/api/v1/iocs?limit=${max + 1}`)).statusCode, 200, 'pro allows more');
      assert.equal((await get('/api/v1/iocs', lookupOnly)).statusCode, 403);
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/iocs' })).statusCode, 401);
      for (const bad of ['type=nope', 'level=severe', 'confidence=x', 'since=2026-02-30', 'found_since=yesterday', 'technique=X1', 'cve=CVE-1', 'cursor=garbage', 'limit=0', 'format=xml', 'order=name']) {
        const res = await get(`/api/v1/iocs?${bad}`);
        assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
        assert.equal(typeof res.json().error.code, 'string');
      }
    });

    test('search: exact on the refanged, normalized value, then substring, then related; meta.search_time_ms', async () => {
      const exact = await get('/api/v1/iocs/search?q=bad-harbor[.]net');
      assert.equal(exact.statusCode, 200, exact.body);
      assert.deepEqual(exact.json().results.map((r: { value: string; match: string }) => [r.value, r.match]), [['bad-harbor.net', 'exact']]);
      assert.equal(exact.json().meta.normalized, 'bad-harbor.net');
      assert.equal(typeof exact.json().meta.search_time_ms, 'number');
      const sub = await get('/api/v1/iocs/search?q=113.1');
      assert.deepEqual(sub.json().results.map((r: { value: string; match: string }) => [r.value, r.match]), [['203.0.113.10', 'substring']]);
      const rel = await get('/api/v1/iocs/search?q=203.0.113.10&include_related=true');
      assert.deepEqual(rel.json().results.map((r: { value: string; match: string }) => [r.value, r.match]), [['203.0.113.10', 'exact'], ['bad-harbor.net', 'related']]);
      assert.deepEqual((await get('/api/v1/iocs/search?q=zz')).json().results, [], 'under 3 characters: exact only');
      assert.equal((await get('/api/v1/iocs/search')).statusCode, 400);
      const nul = await get('/api/v1/iocs/search?q=113%00.10');
      assert.equal(nul.statusCode, 200, nul.body);
      assert.deepEqual(nul.json().results, []);
      assert.equal((await get('/api/v1/iocs/search?q=abc', lookupOnly)).statusCode, 403);
    });

    test('stats: totals, new indicators, feed health, top lists, cached with X-Cache-Age-Seconds', async () => {
      const res = await get('/api/v1/iocs/stats');
      assert.equal(res.statusCode, 200, res.body);
      const s = res.json();
      assert.equal(s.total, 4);
      assert.deepEqual(s.by_type, { ipv4: 2, domain: 1, cve: 1 });
      assert.deepEqual(s.by_feed, { 'cisa-alerts': 3, 'emerging-threats': 2 });
      assert.deepEqual(s.by_category, { government: 3, community: 2 });
      assert.equal(Object.values(s.by_level as Record<string, number>).reduce((a, b) => a + b, 0), 4);
      assert.deepEqual(s.new, { last_24h: 0, last_7d: 1, last_30d: 2 });
      assert.deepEqual(s.top_families, [{ id: 'emotet', count: 1 }]);
      assert.ok(s.top_cves.some((c: { id: string }) => c.id === 'CVE-2021-44228'));
      assert.deepEqual(s.feeds.map((f: { id: string; status: string }) => [f.id, f.status]), [['cisa-alerts', 'degraded'], ['emerging-threats', 'degraded']]);
      assert.match(s.feeds[0].reason, /not run/);
      assert.equal(res.headers['x-cache-age-seconds'], '0');
      // new data moves the version: the next answer is computed again and counts it
      await h.store.ingest({ feedId: 'emerging-threats', mode: 'incremental', runAt: NOW.toISOString() }, [{ type: 'ipv4', value: '192.0.2.99', firstSeen: day(0.5), lastSeen: day(0.5) }]);
      const again = (await get('/api/v1/iocs/stats')).json();
      assert.equal(again.total, 5);
      assert.equal(again.new.last_24h, 1);
      await h.store.purgeFeed('emerging-threats');
      const purged = (await get('/api/v1/iocs?include_delisted=true')).json();
      assert.deepEqual(purged.iocs.map((x: { value: string }) => x.value).sort(), ['203.0.113.10', 'CVE-2021-44228', 'bad-harbor.net'].sort());
      assert.deepEqual(purged.iocs.find((x: { value: string }) => x.value === '203.0.113.10').feeds, ['cisa-alerts']);
    });
  });
}

await onBothEngines(suites);
