import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageRecorder, usageReport, utcDay, type UsageCount } from '../../src/keys/usage.ts';
import { ipAllowed, parseAllowedIps } from '../../src/keys/allowed-ips.ts';

const T = Date.parse('2026-11-30T23:59:59.000Z');

describe('key usage recording', () => {
  test('counts per key, UTC day and route, flushed in one batch and added up', async () => {
    const got: UsageCount[][] = [];
    const rec = new UsageRecorder({ addUsage: async (c) => void got.push([...c]) });
    rec.record('key_a', '/api/v1/lookup', T);
    rec.record('key_a', '/api/v1/lookup', T);
    rec.record('key_a', '/api/v1/lookup', T + 1000); // the next UTC day
    rec.record('key_b', '/api/v1/lookup/export', T);
    assert.equal(rec.size, 3);
    assert.equal(await rec.flush(), 3);
    assert.equal(rec.size, 0);
    assert.deepEqual(
      got[0]!.sort((a, b) => (a.keyId + a.day < b.keyId + b.day ? -1 : 1)),
      [
        { keyId: 'key_a', day: '2026-11-30', route: '/api/v1/lookup', requests: 2 },
        { keyId: 'key_a', day: '2026-12-01', route: '/api/v1/lookup', requests: 1 },
        { keyId: 'key_b', day: '2026-11-30', route: '/api/v1/lookup/export', requests: 1 },
      ],
    );
    assert.equal(await rec.flush(), 0, 'nothing new: no call');
    assert.equal(got.length, 1);
  });

  test('a failed flush keeps its counts for the next one', async () => {
    let fail = true;
    const got: UsageCount[] = [];
    const rec = new UsageRecorder({
      addUsage: async (c) => {
        if (fail) throw new Error('store down');
        got.push(...c);
      },
    });
    rec.record('key_a', '/r', T);
    await assert.rejects(rec.flush(), /store down/);
    rec.record('key_a', '/r', T);
    fail = false;
    await rec.flush();
    assert.deepEqual(got, [{ keyId: 'key_a', day: '2026-11-30', route: '/r', requests: 2 }]);
  });

  test('the report: days newest first with their routes, totals per route, today\'s remaining quota', () => {
    const counts: UsageCount[] = [
      { keyId: 'key_a', day: '2026-11-29', route: '/api/v1/lookup', requests: 5 },
      { keyId: 'key_a', day: '2026-11-30', route: '/api/v1/lookup', requests: 7 },
      { keyId: 'key_a', day: '2026-11-30', route: '/api/v1/lookup/export', requests: 3 },
      { keyId: 'key_other', day: '2026-11-30', route: '/api/v1/lookup', requests: 100 },
    ];
    const r = usageReport('key_a', counts, '2026-11-30T20:00:00.000Z', 1000, T);
    assert.deepEqual(r.days.map((d) => [d.day, d.requests]), [['2026-11-30', 10], ['2026-11-29', 5]]);
    assert.deepEqual(r.days[0]!.routes, { '/api/v1/lookup': 7, '/api/v1/lookup/export': 3 });
    assert.deepEqual(r.routes, { '/api/v1/lookup': 12, '/api/v1/lookup/export': 3 });
    assert.deepEqual(r.quota, { per_day: 1000, used_today: 10, remaining_today: 990, resets_at: '2026-12-01T00:00:00.000Z' });
    assert.equal(usageReport('key_a', counts, null, 8, T).quota.remaining_today, 0, 'never negative');
    assert.equal(utcDay(Date.parse('2026-12-01T00:00:00Z')), '2026-12-01');
  });
});

describe('key IP allow-lists', () => {
  const table: [string[], string | undefined, boolean][] = [
    [[], '198.51.100.7', true],
    [['203.0.113.0/24'], '203.0.113.200', true],
    [['203.0.113.0/24'], '203.0.114.1', false],
    [['203.0.113.0/24'], '::ffff:203.0.113.9', true],
    [['::ffff:203.0.113.0/120'], '203.0.113.9', true],
    [['2001:db8::/32'], '2001:db8:1::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['2001:db8::/32'], '203.0.113.1', false],
    [['192.0.2.10'], '192.0.2.10', true],
    [['192.0.2.10'], '192.0.2.11', false],
    [['203.0.113.0/24'], undefined, false],
    [['203.0.113.0/24'], 'not-an-ip', false],
  ];
  for (const [list, ip, allowed] of table) {
    test(`${JSON.stringify(list)} ${allowed ? 'allows' : 'refuses'} ${String(ip)}`, () => {
      const parsed = parseAllowedIps(list);
      assert.ok(parsed.ok);
      assert.equal(ipAllowed(parsed.ranges, ip), allowed);
    });
  }

  test('entries are canonicalized; a bad entry or host bits are refused with the reason', () => {
    const ok = parseAllowedIps([' 2001:DB8::/32 ', '192.0.2.10']);
    assert.ok(ok.ok);
    assert.deepEqual(ok.canonical, ['2001:db8::/32', '192.0.2.10/32']);
    const bad = parseAllowedIps(['203.0.113.0/24', 'evil.example.com']);
    assert.deepEqual(bad, { ok: false, entry: 'evil.example.com', reason: 'not an IP address or CIDR range' });
    const host = parseAllowedIps(['203.0.113.7/24']);
    assert.ok(!host.ok && /host bits set; the range is 203\.0\.113\.0\/24/.test(host.reason), JSON.stringify(host));
    assert.ok(!parseAllowedIps(['10.0.0.0/33']).ok);
    assert.ok(!parseAllowedIps(Array.from({ length: 101 }, () => '192.0.2.1')).ok, 'at most 100 entries');
  });
});
