/**
 * Wrong-format input cannot make evidence: rows of another shape are refused, and the refusals
 * say what the rows look like (RejectTally.looksLike), so that the run can name the format.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PARSERS, newContext } from '../../src/feeds/index.ts';
import type { FeedFormat } from '../../src/feeds/types.ts';
import { looksLikeOf } from '../../src/feeds/parsers/indicator.ts';
import { collect, parseFixture } from './helpers.ts';

describe('what a refused row looks like', () => {
  const cases: [string, string][] = [
    ['198.51.100.7', 'ipv4'],
    ['2001:db8::7', 'ipv6'],
    ['1.10.16.0/20', 'cidr'],
    ['2001:678:6c4::/48', 'cidr'],
    ['http://evil.com/gate.php', 'url'],
    ['evil.com', 'domain'],
    ['44d88612fea8a8f36de82e1278abb02f', 'md5'],
    ['CVE-2025-48384', 'cve'],
    ['{"cidr":"1.10.16.0/20","sblid":"SBL256894"}', 'json'],
    ['[1,2,3]', 'json'],
    ['"3112201","2026-11-30 12:01:11","http://198.51.100.23:44583/i"', 'csv'],
    ['a,b,c', 'csv'],
    ['198.51.100.0\t198.51.100.255\t24\t2044', 'csv'],
    ['1.2.3.4 ; SBL1', 'ipv4'],
    ['1.10.16.0/20 ; SBL256894', 'cidr'],
    ['not an indicator', 'text'],
    ['203.0.113.300', 'text'],
    ['1.2.3.0/33', 'text'],
  ];
  for (const [raw, kind] of cases) test(`${raw} → ${kind}`, () => assert.equal(looksLikeOf(raw), kind));
});

async function refusals(format: FeedFormat, file: string, options: Record<string, unknown> = {}) {
  const { records, ctx } = await parseFixture(format, file, options);
  return { records: records.length, rejected: ctx.tally.rejected, looksLike: Object.fromEntries(ctx.tally.looksLike) };
}

describe('a file of the wrong format is refused row by row, saying what the rows are', () => {
  test('a DROP list imported as an IPv4 plain list: every range refused as a CIDR range', async () => {
    assert.deepEqual(await refusals('plain-list', 'drop.txt', { type: 'ipv4' }), { records: 0, rejected: 1385, looksLike: { cidr: 1385 } });
    assert.deepEqual(await refusals('plain-list', 'drop_v4.json', { type: 'ipv4' }), { records: 0, rejected: 1407, looksLike: { json: 1407 } });
  });

  test('an IP list read by the DROP parser: a bare address is not a range (it used to become a /32)', async () => {
    assert.deepEqual(await refusals('spamhaus-drop', 'et-compromised-ips.txt'), { records: 0, rejected: 356, looksLike: { ipv4: 356 } });
    const ctx = newContext();
    const out = await collect(PARSERS['spamhaus-drop']('198.51.100.7 ; SBL1\n{"cidr":"2001:db8::1","sblid":"SBL2"}\n{"foo":1}\n', ctx));
    assert.deepEqual(out, []);
    assert.deepEqual(Object.fromEntries(ctx.tally.looksLike), { ipv4: 1, ipv6: 1, json: 1 });
    assert.match(ctx.tally.samples[0] ?? '', /no prefix length/);
  });

  test('a URLhaus CSV imported as an IPv4 list, or as the DROP: CSV rows', async () => {
    assert.deepEqual(await refusals('plain-list', 'urlhaus-handmade.csv', { type: 'ipv4' }), { records: 0, rejected: 4, looksLike: { csv: 4 } });
    assert.deepEqual(await refusals('spamhaus-drop', 'urlhaus-handmade.csv'), { records: 0, rejected: 4, looksLike: { csv: 4 } });
  });

  test('a URL list pinned to IPv4, and an IP list pinned to URLs', async () => {
    assert.deepEqual(await refusals('plain-list', 'openphish-handmade.txt', { type: 'ipv4' }), { records: 0, rejected: 3, looksLike: { url: 3 } });
    assert.deepEqual(await refusals('plain-list', 'et-compromised-ips.txt', { type: 'url' }), { records: 0, rejected: 356, looksLike: { ipv4: 356 } });
  });

  test('DShield columns on a one-column list: the missing prefix column is named, the rows are addresses', async () => {
    assert.deepEqual(await refusals('plain-list', 'et-compromised-ips.txt', { prefixColumn: 2 }), { records: 0, rejected: 356, looksLike: { ipv4: 356 } });
  });

  test('abuse.ch CSV readers given a plain list: the rows are what the list holds', async () => {
    assert.deepEqual(await refusals('urlhaus-csv', 'et-compromised-ips.txt'), { records: 0, rejected: 356, looksLike: { ipv4: 356 } });
    assert.deepEqual(await refusals('malwarebazaar-csv', 'openphish-handmade.txt'), { records: 0, rejected: 3, looksLike: { url: 3 } });
    assert.deepEqual(await refusals('feodotracker-csv', 'drop.txt'), { records: 0, rejected: 1390, looksLike: { cidr: 1385, text: 5 } }, 'its ; comment lines are rows to a CSV reader');
  });

  test('a Feodo Tracker CSV whose dst_ip is a range or a name', async () => {
    const text = '# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n"2026-11-20 07:44:46","198.51.100.0/24","443","online","2026-11-30","QakBot"\n"2026-11-20 07:44:46","c2.example.com","443","online","2026-11-30","QakBot"\n';
    const ctx = newContext();
    assert.deepEqual(await collect(PARSERS['feodotracker-csv'](text, ctx)), []);
    assert.deepEqual(Object.fromEntries(ctx.tally.looksLike), { cidr: 1, domain: 1 });
  });

  test('mappings: a value of another type, a row without the value column, a line that is not JSON', async () => {
    const csv = newContext({ fields: { value: 'indicator' }, type: 'ipv4' });
    await collect(PARSERS['csv-mapping']('indicator,reason\nhttp://evil.com/x,phish\n1.10.16.0/20,range\n', csv));
    assert.deepEqual(Object.fromEntries(csv.tally.looksLike), { url: 1, cidr: 1 });
    const jsonl = newContext({ fields: { value: 'ioc' } });
    await collect(PARSERS['jsonl-mapping']('198.51.100.7\n{"other":1}\n"a","b"\n', jsonl));
    assert.deepEqual(Object.fromEntries(jsonl.tally.looksLike), { ipv4: 1, json: 1, csv: 1 });
  });

  test('refusals that are not about the shape say nothing of it', async () => {
    const ctx = newContext({ fields: { value: 'indicator', threatType: 'kind' } });
    await collect(PARSERS['csv-mapping']('indicator,kind\nevil.com,not-a-threat-type\n', ctx));
    assert.equal(ctx.tally.rejected, 1);
    assert.equal(ctx.tally.looksLike.size, 0);
  });

  test('the right files refuse nothing', async () => {
    for (const [format, file, options] of [
      ['spamhaus-drop', 'drop.txt', {}],
      ['spamhaus-drop-ndjson', 'drop_v4.json', {}],
      ['plain-list', 'et-compromised-ips.txt', { type: 'ipv4' }],
      ['plain-list', 'dshield-handmade.txt', { header: true, prefixColumn: 2 }],
      ['urlhaus-csv', 'urlhaus-online-handmade.csv', {}],
      ['feodotracker-json', 'feodotracker-ipblocklist-handmade.json', {}],
    ] as const) {
      const r = await refusals(format, file, options);
      assert.equal(r.rejected, 0, `${format} ${file}`);
    }
  });
});
