import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { PARSERS, newContext, FeedParseError } from '../../src/feeds/index.ts';
import { KEV_FIELDS } from '../../src/feeds/parsers/cisa-kev.ts';
import { collect, find, fixture, parseFixture } from './helpers.ts';

describe('plain lists', () => {
  test('Emerging Threats compromised IPs: every line an IPv4 with the catalog threat type', async () => {
    const { records, ctx } = await parseFixture('plain-list', 'et-compromised-ips.txt', { type: 'ipv4', threatType: 'compromised' });
    assert.equal(records.length, 356);
    assert.equal(ctx.tally.rejected, 0);
    assert.deepEqual(find(records, '101.108.111.69'), { type: 'ipv4', value: '101.108.111.69', threatType: 'compromised', tags: [] });
  });

  test('comments (# and ;, whole-line and trailing) are skipped; a ; inside a URL is kept', async () => {
    const allow = await parseFixture('plain-list', 'internal-allowlist-handmade.txt', { threatType: 'allowlisted' });
    assert.deepEqual(allow.records.map((r) => [r.type, r.value]), [['ipv4', '192.0.2.53'], ['domain', 'intranet.example.com']]);
    const phish = await parseFixture('plain-list', 'openphish-handmade.txt', { type: 'url', threatType: 'phishing' });
    assert.equal(phish.records.length, 3);
    assert.ok(phish.records.some((r) => r.value.includes('session=abc;lang=en')), 'the ; in a query string is not a comment');
    const cins = await parseFixture('plain-list', 'cins-army-handmade.txt', { type: 'ipv4' });
    assert.deepEqual(cins.records.map((r) => r.value), ['1.2.3.4', '5.6.7.8']);
  });

  test('mixed IPv4/IPv6 list with a bad address: the bad row is counted with a sample', async () => {
    const { records, ctx } = await parseFixture('plain-list', 'blocklist-de-handmade.txt', { threatType: 'brute_force' });
    assert.deepEqual(records.map((r) => r.type), ['ipv4', 'ipv4', 'ipv6', 'ipv4']);
    assert.equal(ctx.tally.rejected, 1);
    assert.match(ctx.tally.samples[0] ?? '', /203\.0\.113\.300/);
  });

  test('Tor exit list with a header comment and IPv6 exits', async () => {
    const { records } = await parseFixture('plain-list', 'tor-exits-handmade.txt', { threatType: 'tor_exit' });
    assert.deepEqual(records.map((r) => `${r.type}:${r.value}:${r.threatType}`), ['ipv4:185.220.101.1:tor_exit', 'ipv4:185.220.101.2:tor_exit', 'ipv6:2a0b:f4c2::1:tor_exit']);
  });

  test('DShield-style columns pick the configured column; defanged values are refanged', async () => {
    const ctx = newContext({ column: 2 });
    const text = '# Start\tEnd\tNetblock\n198.51.100.0\t198.51.100.255\t198.51.100.0/24\n';
    const out = await collect(PARSERS['plain-list'](text, ctx));
    assert.deepEqual(out.map((r) => [r.type, r.value]), [['cidr', '198.51.100.0/24']]);
    const defanged = await collect(PARSERS['plain-list']('evil[.]example[.]com\nhxxp://bad[.]example[.]org/x\n', newContext()));
    assert.deepEqual(defanged.map((r) => [r.type, r.value]), [['domain', 'evil.example.com'], ['url', 'http://bad.example.org/x']]);
  });

  test('DShield block list: banner, uncommented header line, start address + prefix length → ranges', async () => {
    const { records, ctx } = await parseFixture('plain-list', 'dshield-handmade.txt', { header: true, column: 0, prefixColumn: 2, threatType: 'scanner' });
    assert.deepEqual(records.map((r) => [r.type, r.value, r.threatType]), [['cidr', '198.51.100.0/24', 'scanner'], ['cidr', '203.0.113.0/24', 'scanner']]);
    assert.equal(ctx.tally.rejected, 0);
  });

  test('streams: lines split across chunk boundaries and CRLF endings parse the same', async () => {
    const text = '198.51.100.1\r\n198.51.100.2\r\n198.51.100.3';
    const bytes = Buffer.from(text);
    const chunks = [bytes.subarray(0, 5), bytes.subarray(5, 14), bytes.subarray(14)];
    const out = await collect(PARSERS['plain-list'](Readable.from(chunks), newContext()));
    assert.deepEqual(out.map((r) => r.value), ['198.51.100.1', '198.51.100.2', '198.51.100.3']);
  });
});

describe('Spamhaus DROP', () => {
  test('text format: IPv4 ranges with their SBL reference, hijacked_range', async () => {
    const { records, ctx } = await parseFixture('spamhaus-drop', 'drop.txt');
    assert.equal(ctx.tally.rejected, 0);
    assert.ok(records.length > 1000);
    const r = find(records, '1.10.16.0/20');
    assert.equal(r.type, 'cidr');
    assert.equal(r.threatType, 'hijacked_range');
    assert.deepEqual(r.attributes, { sbl: 'SBL256894' });
    assert.equal(records.at(-1)?.value, '223.254.0.0/16', 'the "; EOF" trailer is a comment');
  });

  test('text format: IPv6 DROP and the old EDROP', async () => {
    const v6 = await parseFixture('spamhaus-drop', 'dropv6.txt');
    assert.equal(find(v6.records, '2001:678:6c4::/48').attributes?.sbl, 'SBL626637');
    assert.ok(v6.records.every((r) => r.type === 'cidr' && r.value.includes(':')));
    const edrop = await parseFixture('spamhaus-drop', 'edrop.txt');
    assert.equal(find(edrop.records, '2.56.247.0/24').attributes?.sbl, 'SBL620754');
  });

  test('NDJSON format: the trailing metadata line is not a range', async () => {
    const { records, ctx } = await parseFixture('spamhaus-drop-ndjson', 'drop_v4.json');
    assert.equal(records.length, 1406, 'the metadata line says records: 1406');
    assert.equal(ctx.tally.rejected, 0);
    assert.deepEqual(find(records, '1.10.16.0/20').attributes, { sbl: 'SBL256894', rir: 'apnic' });
  });
});

describe('CISA KEV', () => {
  test('every KEV field is kept verbatim', async () => {
    const { records } = await parseFixture('cisa-kev', 'cisa-kev-first25.json');
    assert.equal(records.length, 25);
    const r = find(records, 'CVE-2025-48384');
    assert.equal(r.threatType, 'exploited_vulnerability');
    assert.equal(r.firstSeen, '2025-08-25T00:00:00Z');
    for (const f of KEV_FIELDS) assert.ok(r.attributes && f in r.attributes, `attribute ${f} kept`);
    assert.equal(r.attributes?.vendorProject, 'Git');
    assert.deepEqual(r.attributes?.cwes, ['CWE-59', 'CWE-436']);
    assert.equal(r.attributes?.knownRansomwareCampaignUse, 'Unknown');
  });

  test('the full bundled catalog parses without a reject, ransomware use becomes a tag', async () => {
    const ctx = newContext();
    const out = await collect(PARSERS['cisa-kev'](createReadStream(new URL('../../data/cisa-kev/known_exploited_vulnerabilities.json', import.meta.url)), ctx));
    assert.equal(out.length, 1404);
    assert.equal(ctx.tally.rejected, 0);
    const known = out.filter((r) => r.attributes?.knownRansomwareCampaignUse === 'Known');
    assert.ok(known.length > 0 && known.every((r) => r.tags?.includes('ransomware')));
  });

  test('a document without vulnerabilities is a parse error, not an empty run', async () => {
    await assert.rejects(collect(PARSERS['cisa-kev']('{"title":"x"}', newContext())), FeedParseError);
    await assert.rejects(collect(PARSERS['cisa-kev']('{not json', newContext())), /not valid JSON/);
  });
});

describe('abuse.ch', () => {
  test('URLhaus CSV: header read from the comment, fields mapped, bad URL counted', async () => {
    const { records, ctx } = await parseFixture('urlhaus-csv', 'urlhaus-handmade.csv');
    assert.equal(records.length, 3);
    assert.equal(ctx.tally.rejected, 1);
    const r = find(records, 'http://198.51.100.23:44583/i');
    assert.equal(r.threatType, 'payload_delivery');
    assert.deepEqual(r.tags, ['32-bit', 'elf', 'mips', 'Mozi']);
    assert.equal(r.firstSeen, '2026-11-30T12:01:11Z');
    assert.equal(r.referenceUrl, 'https://urlhaus.abuse.ch/url/3112201/');
    assert.ok(records.some((x) => x.value === 'http://files.example.net/payload.exe'), 'scheme and host lowercased, default port dropped');
  });

  test('ThreatFox JSON: ip:port keeps the port, fields and confidence mapped', async () => {
    const { records, ctx } = await parseFixture('threatfox-json', 'threatfox-handmade.json');
    assert.equal(ctx.tally.rejected, 1, '999.1.1.1 is not an address');
    const ip = find(records, '203.0.113.45');
    assert.equal(ip.type, 'ipv4');
    assert.equal(ip.attributes?.port, 8443);
    assert.equal(ip.threatType, 'botnet_cc');
    assert.equal(ip.malwareFamily, 'Cobalt Strike');
    assert.equal(ip.confidence, 100);
    assert.deepEqual(ip.tags, ['c2', 'CobaltStrike']);
    assert.equal(find(records, 'update-check.example.org').threatType, 'payload_delivery');
    assert.equal(find(records, 'http://203.0.113.99/gate.php').type, 'url');
    assert.equal(find(records, '44d88612fea8a8f36de82e1278abb02f').type, 'md5');
    assert.equal(find(records, '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9').confidence, 100);
  });

  test('Feodo Tracker JSON and CSV agree on what they list', async () => {
    const json = await parseFixture('feodotracker-json', 'feodotracker-handmade.json');
    const csv = await parseFixture('feodotracker-csv', 'feodotracker-handmade.csv');
    assert.equal(json.ctx.tally.rejected, 1);
    assert.equal(csv.ctx.tally.rejected, 0, 'the "# Number of entries" trailer is a comment');
    const pick = (rs: typeof json.records) => rs.map((r) => [r.value, r.malwareFamily, r.attributes?.port, r.threatType]);
    assert.deepEqual(pick(json.records), pick(csv.records));
    assert.deepEqual(pick(csv.records)[0], ['198.51.100.77', 'QakBot', 443, 'botnet_cc']);
  });

  test('MalwareBazaar CSV: three hashes per sample, signature is the family, n/a is absent', async () => {
    const { records, ctx } = await parseFixture('malwarebazaar-csv', 'malwarebazaar-handmade.csv');
    assert.equal(ctx.tally.rejected, 1);
    assert.deepEqual(records.slice(0, 3).map((r) => r.type), ['sha256', 'md5', 'sha1']);
    assert.ok(records.slice(0, 3).every((r) => r.malwareFamily === 'AgentTesla' && r.attributes?.file_name === 'Invoice_2291.exe'));
    const empty = find(records, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856');
    assert.equal(empty.malwareFamily, null, 'hash lowercased; signature n/a means no family');
  });
});

describe('MISP', () => {
  test('CIRCL OSINT event: only to_ids attributes that are indicators, event tags kept', async () => {
    const { records } = await parseFixture('misp-feed', '57c4445b-c548-4654-af0b-4be3950d210f.json');
    assert.deepEqual(records.map((r) => r.type).sort(), ['md5', 'sha1', 'sha256']);
    assert.ok(records.every((r) => r.tags?.includes('tlp:white')));
    assert.equal(records[0]?.attributes?.report_id, '57c4445b-c548-4654-af0b-4be3950d210f');
  });

  test('hand-made feed event: galaxies and ATT&CK tags, composites, objects, to_ids respected', async () => {
    const { records, ctx } = await parseFixture('misp-feed', 'misp-feed-handmade/5f1a2b3c-0000-4000-8000-000000000001.json');
    assert.equal(ctx.tally.rejected, 1, 'the md5 "not-a-hash"');
    const ip = find(records, '203.0.113.45');
    assert.equal(ip.attributes?.port, 8443);
    assert.deepEqual([...(ip.attackIds ?? [])].sort(), ['T1105', 'T1566', 'T1566.001']);
    assert.equal(ip.malwareFamily, 'Cobalt Strike');
    assert.ok(ip.tags?.includes('c2'), 'attribute tag kept');
    assert.equal(ip.referenceUrl, 'https://blog.example.org/loader-campaign');
    assert.equal(find(records, 'loader-update.example.com').type, 'domain');
    assert.equal(find(records, 'http://loader-update.example.com/stage2.bin').attributes?.misp_object, 'url');
    assert.equal(find(records, '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9').attributes?.file_name, 'loader.dll');
    assert.equal(find(records, 'CVE-2025-48384').type, 'cve');
    assert.ok(!records.some((r) => r.value === 'benign-cdn.example.com'), 'to_ids false is skipped');
    const all = await parseFixture('misp-feed', 'misp-feed-handmade/5f1a2b3c-0000-4000-8000-000000000001.json', { includeNonIds: true });
    assert.ok(all.records.some((r) => r.value === 'benign-cdn.example.com'), 'includeNonIds takes them');
  });

  test('yeti export with objects and a PyMISP object event', async () => {
    const yeti = await parseFixture('misp-feed', 'misp_event_yeti.json');
    assert.ok(yeti.records.length > 50);
    assert.ok(yeti.records.some((r) => r.attributes?.misp_object !== undefined), 'object attributes are read');
    const obj = await parseFixture('misp-feed', 'event_obj_attr_tag.json');
    assert.deepEqual(obj.records.map((r) => [r.type, r.value]), [['url', 'https://www.circl.lu/']]);
  });

  test('a file that is not a MISP event fails the run', async () => {
    await assert.rejects(collect(PARSERS['misp-feed']('{"foo": 1}', newContext())), /no "Event"/);
  });
});

describe('STIX 2.1', () => {
  test('AND/OR patterns, indicates→malware (family) and malware uses→attack-pattern (ATT&CK id)', async () => {
    const { records, ctx } = await parseFixture('stix-bundle', 'stix-relationships-handmade.json');
    assert.deepEqual(records.map((r) => r.value), ['198.51.100.10', '198.51.100.11', 'c2.example.net', 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12']);
    const ip = find(records, '198.51.100.11');
    assert.equal(ip.malwareFamily, 'Emotet');
    assert.deepEqual(ip.attackIds, ['T1071.001']);
    assert.equal(ip.confidence, 85);
    assert.equal(ip.referenceUrl, 'https://reports.example.org/emotet');
    assert.deepEqual(find(records, 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12').attackIds, ['T1204.002']);
    assert.equal(ctx.tally.rejected, 2, 'the MATCHES-only pattern and the sigma pattern');
  });

  test('OASIS examples: poisonivy indicators carry their malware; apt1 CIDR patterns become ranges', async () => {
    const ivy = await parseFixture('stix-bundle', 'poisonivy.json');
    assert.ok(ivy.records.length > 50);
    assert.ok(ivy.records.filter((r) => r.malwareFamily !== null).length > 30);
    const apt1 = await parseFixture('stix-bundle', 'apt1.json');
    assert.equal(find(apt1.records, '223.166.0.0/15').type, 'cidr');
    const one = await parseFixture('stix-bundle', 'indicator-for-c2-ip-address.json');
    assert.deepEqual(one.records.map((r) => [r.type, r.value, r.threatType]), [['ipv4', '10.0.0.0', 'malicious_infrastructure']]);
  });

  test('a document that is not a bundle fails', async () => {
    await assert.rejects(collect(PARSERS['stix-bundle']('{"type":"indicator"}', newContext())), /bundle/);
  });
});

describe('generic mappings', () => {
  test('CSV mapping: header row, quoted commas, type column, attributes kept', async () => {
    const { records, ctx } = await parseFixture('csv-mapping', 'internal-denylist-handmade.csv', {
      threatType: 'denylisted',
      fields: { value: 'indicator', type: 'kind' },
      attributes: ['reason', 'owner'],
    });
    assert.deepEqual(records.map((r) => [r.type, r.value]), [['domain', 'evil.example.com'], ['ipv4', '198.51.100.200'], ['url', 'http://evil.example.com/login?a=1,b=2']]);
    assert.equal(records[2]?.attributes?.reason, 'credential page, quoted comma');
    assert.ok(records.every((r) => r.threatType === 'denylisted'));
    assert.equal(ctx.tally.rejected, 1);
  });

  test('JSON lines mapping with dotted paths', async () => {
    const { records, ctx } = await parseFixture('jsonl-mapping', 'internal-handmade.jsonl', {
      fields: { value: 'ioc.value', type: 'ioc.type', threatType: 'category', confidence: 'score', firstSeen: 'seen' },
    });
    assert.deepEqual(records.map((r) => [r.value, r.threatType, r.confidence, r.firstSeen]), [
      ['bad.example.net', 'phishing', 80, '2026-11-01T00:00:00Z'],
      ['203.0.113.66', 'scanner', 40, '2026-11-02T00:00:00Z'],
    ]);
    assert.equal(ctx.tally.rejected, 2);
  });

  test('a mapping without a value column is a clear configuration error', async () => {
    await assert.rejects(collect(PARSERS['csv-mapping']('a,b\n1,2\n', newContext({ fields: { type: 'a' } }))), /fields\.value/);
  });
});

test('reject samples are capped at five while every reject is counted', async () => {
  const text = Array.from({ length: 12 }, (_, i) => `bad value ${i}`).join('\n');
  const ctx = newContext({ type: 'ipv4' });
  const out = await collect(PARSERS['plain-list'](text, ctx));
  assert.equal(out.length, 0);
  assert.equal(ctx.tally.rejected, 12);
  assert.equal(ctx.tally.samples.length, 5);
});

test('every format has a parser', async () => {
  const { FEED_FORMATS } = await import('../../src/feeds/types.ts');
  for (const f of FEED_FORMATS) assert.equal(typeof PARSERS[f], 'function', f);
  assert.ok(fixture('drop.txt').endsWith('drop.txt'));
});
