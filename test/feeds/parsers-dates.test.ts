/**
 * Every parser dates a record with what its source said, never with the clock: the entry's own
 * dates (dateSource absent, meaning `feed`), else the date the file states for itself
 * (`dateSource: 'file'`), else none (the ingest falls back to Last-Modified or the fetch time).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PARSERS, newContext } from '../../src/feeds/index.ts';
import type { FeedFormat } from '../../src/feeds/types.ts';
import { fileDateOf } from '../../src/feeds/parsers/file-date.ts';
import { toIsoDate } from '../../src/feeds/parsers/text.ts';
import type { SightingRecord } from '../../src/model.ts';
import { collect, find, parseFixture } from './helpers.ts';

describe('toIsoDate reads the forms feeds write, and nothing else', () => {
  const cases: [unknown, string | null, string][] = [
    ['2026-11-30', '2026-11-30T00:00:00Z', 'a day'],
    ['2026-11-30 12:01:11', '2026-11-30T12:01:11Z', 'abuse.ch: a space, no zone, UTC'],
    ['2026-07-14T20:45:40', '2026-07-14T20:45:40Z', 'ISO 8601 without a zone is UTC, not local time'],
    ['2015-05-15T09:12:16.432Z', '2015-05-15T09:12:16.432Z', 'STIX, milliseconds'],
    ['2015-05-15T09:12:16.432678Z', '2015-05-15T09:12:16.432Z', 'STIX, microseconds'],
    ['2019-06-10T16:13:07.000000+00:00', '2019-06-10T16:13:07Z', 'MISP first_seen'],
    ['2024-01-10T10:05:22+02:00', '2024-01-10T08:05:22Z', 'an offset'],
    ['2024-01-10T10:05:22-0530', '2024-01-10T15:35:22Z', 'an offset without a colon'],
    ['2024-01-10 10:05:22 UTC', '2024-01-10T10:05:22Z', 'a UTC suffix'],
    ['2026-11-30 12:05:03 (UTC)', '2026-11-30T12:05:03Z', 'URLhaus banner'],
    ['1472480394', '2016-08-29T14:19:54Z', 'Unix seconds as a string (MISP)'],
    [1744682874, '2025-04-15T02:07:54Z', 'Unix seconds as a number (Spamhaus metadata)'],
    ['Fri, 17 Jan 2025 17:03:47 GMT', '2025-01-17T17:03:47Z', 'RFC 1123 (Spamhaus Last-Modified)'],
    ['Sun, 06 Nov 1994 08:49:37 +0100', '1994-11-06T07:49:37Z', 'RFC 2822 with an offset'],
    ['Tue Dec 22 04:10:11 2009 UTC', '2009-12-22T04:10:11Z', 'asctime (DShield)'],
    ['Tue Jan  9 10:05:22 UTC 2024', '2024-01-09T10:05:22Z', 'date(1), day padded with a space'],
    ['Wed Nov 30 21:10:17 2026 UTC', '2026-11-30T21:10:17Z', 'a weekday that does not match the date is ignored'],
    ['  2026-11-30  ', '2026-11-30T00:00:00Z', 'surrounding spaces'],
    // not dates
    ['0', null, 'MISP publish_timestamp of an unpublished event'],
    ['1', null, 'a small number'],
    ['1744682874000', null, 'milliseconds are not seconds'],
    ['yesterday', null, 'a word'],
    ['March 7', null, 'what new Date() would read as 2001'],
    ['2024-02-30', null, '30 February'],
    ['2024-13-01', null, 'month 13'],
    ['0000-00-00 00:00:00', null, 'a zero date'],
    ['1969-12-31', null, 'before 1970: a placeholder'],
    ['2024-01-10T24:00:00Z', null, 'hour 24'],
    ['2024-01-10T10:61:00Z', null, 'minute 61'],
    ['Fri, 32 Jan 2025 17:03:47 GMT', null, 'day 32'],
    ['Fri, 17 Foo 2025 17:03:47 GMT', null, 'no such month'],
    ['2024-01-10T10:05:22+25:00', null, 'an offset past a day'],
    ['2024/01/10', null, 'slashes'],
    ['', null, 'empty'],
    [null, null, 'null'],
    [{}, null, 'an object'],
    [Number.NaN, null, 'NaN'],
  ];
  for (const [raw, want, why] of cases) {
    test(`${JSON.stringify(raw)}: ${why}`, () => assert.equal(toIsoDate(raw), want));
  }
});

describe('the date a list states for itself in a comment line', () => {
  const cases: [string, string | null, string][] = [
    ['; Last-Modified: Fri, 17 Jan 2025 17:03:47 GMT', '2025-01-17T17:03:47Z', 'Spamhaus DROP text'],
    ['#    updated: Tue Dec 22 04:10:11 2009 UTC', '2009-12-22T04:10:11Z', 'DShield block.txt'],
    ['#    updated: 2026-07-14T20:45:40', '2026-07-14T20:45:40Z', 'DShield, the newer ISO form'],
    ['# Last updated: 2024-01-10 10:05:22 UTC', '2024-01-10T10:05:22Z', 'abuse.ch'],
    ['# Last updated: 2026-11-30 12:05:03 (UTC)                      #', '2026-11-30T12:05:03Z', 'URLhaus, inside its box'],
    ['# Last updated: 2026-11-30 12:09:12 UTC                        #', '2026-11-30T12:09:12Z', 'Feodo Tracker, inside its box'],
    ['# Generated: 2024-01-10T10:05:22Z', '2024-01-10T10:05:22Z', 'Generated'],
    ['# Generated on 2024-01-10 10:05:22', '2024-01-10T10:05:22Z', 'Generated on, no colon'],
    ['# Last-Modified: Wed, 10 Jan 2024 10:05:22 GMT', '2024-01-10T10:05:22Z', 'Last-Modified after #'],
    ['# Date: Wed, 10 Jan 2024 10:05:22 GMT', '2024-01-10T10:05:22Z', 'Date'],
    ['# updated 2024-01-10', '2024-01-10T00:00:00Z', 'updated without a colon'],
    ['## LAST UPDATED: 2024-01-10', '2024-01-10T00:00:00Z', 'doubled marks, upper case'],
    ['# This File Date  : Tue Jan  9 10:05:22 UTC 2024', '2024-01-09T10:05:22Z', 'This File Date, date(1) form'],
    // other comments
    ['; Expires: Fri, 17 Jan 2025 18:07:54 GMT', null, 'Spamhaus Expires is not when the list was made'],
    ['; Spamhaus DROP List 2025/01/17 - (c) 2025 The Spamhaus Project SLU', null, 'the title line'],
    ['#   comments: info@dshield.org', null, 'another label'],
    ['# Dates are UTC', null, 'a word that starts like a label'],
    ['# This list summarizes the top 20 attacking class C (/24) subnets', null, 'prose'],
    ['# Last updated: soon', null, 'a label without a date'],
    ['# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter', null, 'a CSV header'],
  ];
  for (const [line, want, why] of cases) {
    test(`${why}: ${line.trim()}`, () => assert.equal(fileDateOf(line), want));
  }
});

type Dated = [value: string, firstSeen: string | null | undefined, lastSeen: string | null | undefined, dateSource: string | undefined];

/** Each record's value, dates and date source, for the rows listed. */
function datesOf(records: SightingRecord[], values: readonly string[]): Dated[] {
  return values.map((v) => {
    const r = find(records, v);
    return [v, r.firstSeen, r.lastSeen, r.dateSource ?? undefined];
  });
}

const FEED = undefined;
const FILE = 'file';

describe('each parser maps the dates its source states', () => {
  const cases: { name: string; format: FeedFormat; file: string; options?: Record<string, unknown>; expect: Dated[] }[] = [
    {
      name: 'MISP (CIRCL OSINT 2016 event): event date first, attribute timestamp last — 2016, not the import time',
      format: 'misp-feed',
      file: '57c4445b-c548-4654-af0b-4be3950d210f.json',
      expect: [
        ['0749bae92ca336a02c83d126e04ec628', '2016-08-29T00:00:00Z', '2016-08-29T14:19:55Z', FEED],
        ['77b0c41b7d340b8a3d903f21347bbf06aa766b5b', '2016-08-29T00:00:00Z', '2016-08-29T14:19:54Z', FEED],
        ['b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68', '2016-08-29T00:00:00Z', '2016-08-29T14:19:55Z', FEED],
      ],
    },
    {
      name: 'MISP (CERT-FR event exported by yeti, publish_timestamp "0"): 2023 dates',
      format: 'misp-feed',
      file: 'misp_event_yeti.json',
      expect: [
        ['getinteriorartstudio.com', '2023-07-24T00:00:00Z', '2023-07-24T09:29:48Z', FEED],
        ['ed13ef43dfc1b21e9ac00bfc17911082', '2023-07-24T00:00:00Z', '2023-07-24T09:29:49Z', FEED],
      ],
    },
    {
      name: "MISP: an attribute's first_seen/last_seen win; an object's first_seen stands in for its attributes'",
      format: 'misp-feed',
      file: 'misp-event-seen-handmade.json',
      expect: [
        ['198.51.100.140', '2026-10-28T06:12:00Z', '2026-11-02T17:45:30Z', FEED],
        ['update.example-cdn.com', '2026-10-30T00:00:00Z', '2026-11-30T14:46:40Z', FEED],
        ['5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592', '2026-10-29T11:00:00Z', '2026-11-30T20:20:00Z', FEED],
      ],
    },
    {
      name: 'STIX: valid_from first; the latest sighting last, else modified',
      format: 'stix-bundle',
      file: 'stix-report-sightings-handmade.json',
      expect: [
        ['198.51.100.150', '2026-11-07T14:30:00Z', '2026-11-25T06:45:00Z', FEED],
        ['198.51.100.151', '2026-11-07T14:30:00Z', '2026-11-25T06:45:00Z', FEED],
        ['qbot-loader.example.com', '2026-11-08T00:00:00Z', '2026-11-08T00:00:00Z', FEED],
        ['203.0.113.150', '2026-11-12T08:00:00Z', '2026-11-13T08:00:00Z', FEED],
      ],
    },
    {
      name: 'STIX (OASIS apt1): valid_from with microseconds, modified',
      format: 'stix-bundle',
      file: 'apt1.json',
      expect: [['223.166.0.0/15', '2015-05-15T09:12:16.432Z', '2015-05-15T09:12:16.432Z', FEED]],
    },
    {
      name: 'CISA KEV: dateAdded first, the catalog dateReleased last',
      format: 'cisa-kev',
      file: 'cisa-kev-first25.json',
      expect: [['CVE-2025-48384', '2025-08-25T00:00:00Z', '2025-08-25T17:04:19.979Z', FEED]],
    },
    {
      name: 'Feodo Tracker JSON: first_seen, last_online (a day: the same day as first_seen means first_seen), null last_online',
      format: 'feodotracker-json',
      file: 'feodotracker-ipblocklist-handmade.json',
      expect: [
        ['198.51.100.77', '2026-11-30T07:44:46Z', '2026-11-30T07:44:46Z', FEED],
        ['203.0.113.8', '2026-10-01T10:00:00Z', '2026-11-02T00:00:00Z', FEED],
        ['192.0.2.44', '2026-11-28T22:15:03Z', null, FEED],
      ],
    },
    {
      name: 'Feodo Tracker CSV: first_seen_utc, last_online; the banner date is not used for dated rows',
      format: 'feodotracker-csv',
      file: 'feodotracker-handmade.csv',
      expect: [
        ['198.51.100.77', '2026-11-20T07:44:46Z', '2026-11-30T00:00:00Z', FEED],
        ['203.0.113.8', '2026-10-01T10:00:00Z', '2026-11-02T00:00:00Z', FEED],
      ],
    },
    {
      name: 'URLhaus: dateadded, last_online',
      format: 'urlhaus-csv',
      file: 'urlhaus-online-handmade.csv',
      expect: [
        ['http://198.51.100.23:44583/i', '2026-11-30T12:01:11Z', '2026-11-30T12:01:11Z', FEED],
        ['http://203.0.113.61/bins/x86', '2026-11-30T09:14:52Z', '2026-11-30T11:40:07Z', FEED],
        ['https://files.example-cdn.com/inv/Invoice_2291.zip', '2026-11-27T18:02:30Z', '2026-11-30T12:00:41Z', FEED],
      ],
    },
    {
      name: 'URLhaus: an empty last_online is no date',
      format: 'urlhaus-csv',
      file: 'urlhaus-handmade.csv',
      expect: [['http://files.example.net/payload.exe', '2026-11-30T11:50:02Z', null, FEED]],
    },
    {
      name: 'ThreatFox: first_seen_utc, last_seen_utc (null until seen again)',
      format: 'threatfox-json',
      file: 'threatfox-handmade.json',
      expect: [
        ['203.0.113.45', '2026-11-29T08:12:44Z', null, FEED],
        ['update-check.example.org', '2026-11-29T09:00:01Z', '2026-11-30T10:00:00Z', FEED],
      ],
    },
    {
      name: 'MalwareBazaar: first_seen_utc for every hash of the sample',
      format: 'malwarebazaar-csv',
      file: 'malwarebazaar-handmade.csv',
      expect: [
        ['0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9', '2026-11-30T12:01:10Z', null, FEED],
        ['44d88612fea8a8f36de82e1278abb02f', '2026-11-30T12:01:10Z', null, FEED],
      ],
    },
    {
      name: 'Spamhaus DROP text: the Last-Modified header',
      format: 'spamhaus-drop',
      file: 'drop.txt',
      expect: [
        ['1.10.16.0/20', '2025-01-17T17:03:47Z', '2025-01-17T17:03:47Z', FILE],
        ['223.254.0.0/16', '2025-01-17T17:03:47Z', '2025-01-17T17:03:47Z', FILE],
      ],
    },
    {
      name: 'Spamhaus DROPv6 and EDROP text: their own Last-Modified',
      format: 'spamhaus-drop',
      file: 'dropv6.txt',
      expect: [['2001:678:6c4::/48', '2025-01-08T22:38:36Z', '2025-01-08T22:38:36Z', FILE]],
    },
    {
      name: 'Spamhaus EDROP text',
      format: 'spamhaus-drop',
      file: 'edrop.txt',
      expect: [['2.56.247.0/24', '2023-12-01T14:47:07Z', '2023-12-01T14:47:07Z', FILE]],
    },
    {
      name: 'Spamhaus NDJSON: the trailing metadata timestamp dates every range before it',
      format: 'spamhaus-drop-ndjson',
      file: 'drop_v4.json',
      expect: [
        ['1.10.16.0/20', '2025-04-15T02:07:54Z', '2025-04-15T02:07:54Z', FILE],
        ['223.254.0.0/16', '2025-04-15T02:07:54Z', '2025-04-15T02:07:54Z', FILE],
      ],
    },
    {
      name: 'DShield block.txt through the plain list: the "updated:" line',
      format: 'plain-list',
      file: 'dshield-handmade.txt',
      options: { header: true, prefixColumn: 2 },
      expect: [
        ['198.51.100.0/24', '2026-11-30T21:10:17Z', '2026-11-30T21:10:17Z', FILE],
        ['203.0.113.0/24', '2026-11-30T21:10:17Z', '2026-11-30T21:10:17Z', FILE],
      ],
    },
    {
      name: 'Feodo Tracker recommended list (plain): the "# Last updated" banner',
      format: 'plain-list',
      file: 'feodotracker-recommended-handmade.txt',
      options: { type: 'ipv4' },
      expect: [['198.51.100.77', '2026-11-30T12:09:12Z', '2026-11-30T12:09:12Z', FILE]],
    },
    {
      name: 'a plain list that states no date: undated',
      format: 'plain-list',
      file: 'et-compromised-ips.txt',
      options: { type: 'ipv4' },
      expect: [['101.108.111.69', undefined, undefined, undefined]],
    },
    {
      name: 'a plain list whose only comment is not a date: undated',
      format: 'plain-list',
      file: 'tor-exits-handmade.txt',
      expect: [['185.220.101.1', undefined, undefined, undefined]],
    },
    {
      name: 'JSON lines: the mapped firstSeen, nothing else',
      format: 'jsonl-mapping',
      file: 'internal-handmade.jsonl',
      options: { fields: { value: 'ioc.value', type: 'ioc.type', firstSeen: 'seen' } },
      expect: [['bad.example.net', '2026-11-01T00:00:00Z', null, FEED]],
    },
    {
      name: 'CSV mapping without date columns or header date: undated',
      format: 'csv-mapping',
      file: 'internal-denylist-handmade.csv',
      options: { fields: { value: 'indicator', type: 'kind' } },
      expect: [['evil.example.com', null, null, undefined]],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const { records } = await parseFixture(c.format, c.file, c.options);
      assert.deepEqual(datesOf(records, c.expect.map((e) => e[0])), c.expect);
    });
  }

  test('Spamhaus NDJSON: every range gets the metadata date, however many lines come before it', async () => {
    const { records } = await parseFixture('spamhaus-drop-ndjson', 'drop_v4.json');
    assert.equal(records.length, 1406);
    assert.ok(records.every((r) => r.firstSeen === '2025-04-15T02:07:54Z' && r.dateSource === 'file'));
  });

  test('Spamhaus NDJSON without its metadata line: ranges go out undated, in order', async () => {
    const text = '{"cidr":"192.0.2.0/24","sblid":"SBL1","rir":"arin"}\n{"cidr":"198.51.100.0/24","sblid":"SBL2","rir":"ripencc"}\n';
    const out = await collect(PARSERS['spamhaus-drop-ndjson'](text, newContext()));
    assert.deepEqual(out.map((r) => [r.value, r.firstSeen, r.dateSource]), [['192.0.2.0/24', undefined, undefined], ['198.51.100.0/24', undefined, undefined]]);
  });

  test('abuse.ch CSV: a row without its own date takes the banner date', async () => {
    const text = [
      '################################################################',
      '# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #',
      '# Last updated: 2026-11-30 12:09:12 UTC                        #',
      '################################################################',
      '#',
      '# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"',
      '"","198.51.100.78","443","online","","QakBot"',
      '"2026-11-20 07:44:46","198.51.100.79","443","online","","QakBot"',
    ].join('\n');
    const out = await collect(PARSERS['feodotracker-csv'](text, newContext()));
    assert.deepEqual(out.map((r) => [r.value, r.firstSeen, r.lastSeen, r.dateSource]), [
      ['198.51.100.78', '2026-11-30T12:09:12Z', '2026-11-30T12:09:12Z', 'file'],
      ['198.51.100.79', '2026-11-20T07:44:46Z', null, undefined],
    ]);
  });

  test('CSV mapping: a "# Generated" comment dates the rows that map no date; a mapped date wins', async () => {
    const text = '# Generated: 2026-11-29T06:00:00Z\nindicator,seen\nevil.example.com,\n198.51.100.200,2026-11-02\n';
    const out = await collect(PARSERS['csv-mapping'](text, newContext({ fields: { value: 'indicator', lastSeen: 'seen' } })));
    assert.deepEqual(out.map((r) => [r.value, r.firstSeen, r.lastSeen, r.dateSource]), [
      ['evil.example.com', '2026-11-29T06:00:00Z', '2026-11-29T06:00:00Z', 'file'],
      ['198.51.100.200', null, '2026-11-02T00:00:00Z', undefined],
    ]);
  });

  test('JSON lines: Unix seconds in a mapped key; an unreadable date is no date, not today', async () => {
    const text = '{"v":"bad.example.net","first":1764489600,"last":"soon"}\n';
    const out = await collect(PARSERS['jsonl-mapping'](text, newContext({ fields: { value: 'v', firstSeen: 'first', lastSeen: 'last' } })));
    assert.deepEqual(out.map((r) => [r.value, r.firstSeen, r.lastSeen]), [['bad.example.net', '2025-11-30T08:00:00Z', null]]);
  });

  test('STIX: an indicator without valid_from takes created; a sighting without last_seen gives its first_seen', async () => {
    const bundle = {
      type: 'bundle',
      id: 'bundle--00000000-0000-4000-8000-000000000000',
      objects: [
        { type: 'indicator', id: 'indicator--00000000-0000-4000-8000-000000000001', created: '2026-01-02T03:04:05Z', modified: '2026-01-03T00:00:00Z', pattern: "[ipv4-addr:value = '198.51.100.9']", pattern_type: 'stix' },
        { type: 'sighting', id: 'sighting--00000000-0000-4000-8000-000000000001', sighting_of_ref: 'indicator--00000000-0000-4000-8000-000000000001', first_seen: '2026-02-01T00:00:00Z' },
      ],
    };
    const out = await collect(PARSERS['stix-bundle'](JSON.stringify(bundle), newContext()));
    assert.deepEqual(out.map((r) => [r.firstSeen, r.lastSeen]), [['2026-01-02T03:04:05Z', '2026-02-01T00:00:00Z']]);
  });

  test('MISP: an attribute without timestamp in an unpublished event takes the event date and timestamp', async () => {
    const event = { Event: { uuid: '5f1a2b3c-0000-4000-8000-0000000000b1', date: '2016-06-09', timestamp: '1465681801', publish_timestamp: '0', Attribute: [{ type: 'domain', value: 'old.example.com', to_ids: true }] } };
    const out = await collect(PARSERS['misp-feed'](JSON.stringify(event), newContext()));
    assert.deepEqual(out.map((r) => [r.firstSeen, r.lastSeen]), [['2016-06-09T00:00:00Z', '2016-06-11T21:50:01Z']]);
  });
});
