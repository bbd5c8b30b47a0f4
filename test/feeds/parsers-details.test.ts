/**
 * What each source states beyond the indicator reaches the record, under the details vocabulary
 * (src/evidence/details.ts), and the malware family is read from every structured place.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PARSERS, newContext } from '../../src/feeds/index.ts';
import { originOf } from '../../src/evidence/origin.ts';
import { collect, find, parseFixture } from './helpers.ts';

describe('details each format gives', () => {
  test('Feodo Tracker JSON: port, hostname, AS, country, status, last_online', async () => {
    const { records } = await parseFixture('feodotracker-json', 'feodotracker-ipblocklist-handmade.json');
    assert.deepEqual(find(records, '203.0.113.8').attributes, {
      port: 8080,
      hostname: 'vps-8.example.net',
      asn: 64501,
      as_name: 'EXAMPLE-HOSTING',
      country: 'US',
      status: 'offline',
      last_online: '2026-11-02T00:00:00Z',
    });
    assert.deepEqual(find(records, '192.0.2.44').attributes, { port: 2222, asn: 64502, as_name: 'EXAMPLE-TRANSIT', country: 'DE', status: 'offline' }, 'a null hostname and last_online are absent');
    assert.equal(find(records, '192.0.2.44').malwareFamily, 'Emotet');
  });

  test('Feodo Tracker CSV: port, status (c2_status), last_online', async () => {
    const { records } = await parseFixture('feodotracker-csv', 'feodotracker-handmade.csv');
    assert.deepEqual(find(records, '203.0.113.8').attributes, { port: 8080, status: 'offline', last_online: '2026-11-02T00:00:00Z' });
  });

  test('URLhaus: entry_id, status (url_status), last_online, reporter; tags and the URLhaus page kept', async () => {
    const { records } = await parseFixture('urlhaus-csv', 'urlhaus-online-handmade.csv');
    const r = find(records, 'http://203.0.113.61/bins/x86');
    assert.deepEqual(r.attributes, { entry_id: '3112188', status: 'online', last_online: '2026-11-30T11:40:07Z', reporter: 'lrz_urlhaus' });
    assert.deepEqual(r.tags, ['elf', 'Mirai']);
    assert.equal(r.referenceUrl, 'https://urlhaus.abuse.ch/url/3112188/');
    const offline = await parseFixture('urlhaus-csv', 'urlhaus-handmade.csv');
    assert.deepEqual(find(offline.records, 'http://files.example.net/payload.exe').attributes, { entry_id: '3112199', status: 'offline', reporter: 'anonymous' });
  });

  test('ThreatFox: entry_id, port, reporter, reference, malware_alias', async () => {
    const { records } = await parseFixture('threatfox-json', 'threatfox-handmade.json');
    assert.deepEqual(find(records, '203.0.113.45').attributes, { entry_id: '1289001', port: 8443, reporter: 'abuse_ch', malware_alias: 'Agentemis,BEACON,CobaltStrike' });
    assert.deepEqual(find(records, 'update-check.example.org').attributes, { entry_id: '1289002', reporter: 'example', reference: 'https://infosec.exchange/@example/1', malware_alias: 'FakeUpdates' });
  });

  test("MalwareBazaar: the sample's three hashes share entry_id = its SHA-256, with its file facts", async () => {
    const { records } = await parseFixture('malwarebazaar-csv', 'malwarebazaar-handmade.csv');
    const sample = records.slice(0, 3);
    const sha256 = '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9';
    for (const r of sample) {
      assert.deepEqual(r.attributes, {
        entry_id: sha256,
        file_name: 'Invoice_2291.exe',
        file_type: 'exe',
        mime_type: 'application/x-dosexec',
        reporter: 'abuse_ch',
        imphash: 'f34d5f2d4577ed6d9ceec516c1f5a744',
        ssdeep: '3072:abc:def',
        tlsh: 'T1A2B3',
      }, r.type);
    }
    const origins = new Set(sample.map((r) => originOf({ feedId: 'malwarebazaar', type: r.type, value: r.value, attributes: r.attributes ?? {} })));
    assert.equal(origins.size, 1, 'one sample is one report');
    assert.deepEqual(find(records, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856').attributes, { entry_id: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856', file_name: 'empty.bin', file_type: 'unknown', mime_type: 'application/octet-stream', reporter: 'anonymous' }, 'n/a is absent');
  });

  test('Spamhaus DROP: sbl (text) and sbl + rir (NDJSON)', async () => {
    const text = await parseFixture('spamhaus-drop', 'drop.txt');
    assert.deepEqual(find(text.records, '1.10.16.0/20').attributes, { sbl: 'SBL256894' });
    const ndjson = await parseFixture('spamhaus-drop-ndjson', 'drop_v4.json');
    assert.deepEqual(find(ndjson.records, '1.10.16.0/20').attributes, { sbl: 'SBL256894', rir: 'apnic' });
  });

  test('CISA KEV: the entry verbatim under its own field names', async () => {
    const { records } = await parseFixture('cisa-kev', 'cisa-kev-first25.json');
    const a = find(records, 'CVE-2025-48384').attributes ?? {};
    assert.equal(a.dateAdded, '2025-08-25');
    assert.equal(a.vendorProject, 'Git');
    assert.equal(a.catalogVersion, '2025.08.25');
  });

  test('MISP (CIRCL OSINT event): the event as the report, the attribute as the entry', async () => {
    const { records } = await parseFixture('misp-feed', '57c4445b-c548-4654-af0b-4be3950d210f.json');
    assert.deepEqual(find(records, '0749bae92ca336a02c83d126e04ec628').attributes, {
      report_id: '57c4445b-c548-4654-af0b-4be3950d210f',
      report_type: 'misp-event',
      report_name: 'Ransomware - Xorist',
      report_date: '2016-08-29T00:00:00Z',
      author: 'CIRCL',
      threat_level: 'low',
      entry_id: '57c4448b-454c-4d17-90d1-4d2f950d210f',
      category: 'Payload delivery',
      comment: 'Imported via the Freetext Import Tool',
      misp_type: 'md5',
      to_ids: true,
      tlp: 'white',
    });
    const origins = new Set(records.map((r) => originOf({ feedId: 'circl-osint', type: r.type, value: r.value, attributes: r.attributes ?? {} })));
    assert.deepEqual([...origins], ['report:57c4445b-c548-4654-af0b-4be3950d210f'], 'three hashes of one event are one report');
  });

  test('MISP (yeti export): threat level 4 is "undefined"; a namespaced TLP tag (cert-fr:TLP="clear") is read', async () => {
    const { records } = await parseFixture('misp-feed', 'misp_event_yeti.json');
    const a = find(records, 'getinteriorartstudio.com').attributes ?? {};
    assert.equal(a.threat_level, 'undefined');
    assert.equal(a.tlp, 'clear');
    assert.equal(a.author, 'CERT-FR');
    assert.equal(a.report_id, '64be448c-53f0-4e74-a53d-4c3d0abe1822');
    const hash = find(records, 'ed13ef43dfc1b21e9ac00bfc17911082').attributes ?? {};
    assert.equal(hash.misp_object, 'file');
    assert.equal(hash.file_name, 'MakeMeGood.bat', "a file object's filename goes with its hashes");
  });

  test('MISP composites and objects: port, ip, file_name; an attribute TLP tag overrides the event one', async () => {
    const { records } = await parseFixture('misp-feed', 'misp-event-seen-handmade.json');
    const ip = find(records, '198.51.100.140').attributes ?? {};
    assert.equal(ip.port, 7080);
    assert.equal(ip.misp_type, 'ip-dst|port');
    assert.equal(ip.comment, 'C2 seen in the sandbox run');
    assert.equal(ip.threat_level, 'high');
    assert.equal(ip.author, 'Example CERT');
    assert.equal(ip.tlp, 'amber');
    assert.equal(find(records, 'update.example-cdn.com').attributes?.ip, '203.0.113.140');
    assert.equal(find(records, 'http://update.example-cdn.com/tb/loader.bin').attributes?.tlp, 'green');
    assert.equal(find(records, '5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592').attributes?.file_name, 'invoice_3321.doc');
    const handmade = await parseFixture('misp-feed', 'misp-feed-handmade/5f1a2b3c-0000-4000-8000-000000000001.json');
    assert.equal(find(handmade.records, '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9').attributes?.file_name, 'loader.dll');
  });

  test('STIX: the indicator as the entry, the report holding it, its author and TLP marking, valid_until', async () => {
    const { records } = await parseFixture('stix-bundle', 'stix-report-sightings-handmade.json');
    const a = find(records, '198.51.100.150').attributes;
    assert.deepEqual(a, {
      entry_id: 'indicator--a1000000-0000-4000-8000-000000000001',
      indicator_name: 'QakBot C2 pair',
      stix_pattern: "[ipv4-addr:value = '198.51.100.150' OR ipv4-addr:value = '198.51.100.151']",
      valid_until: '2027-02-07T00:00:00Z',
      report_id: 'report--f0000000-0000-4000-8000-000000000001',
      report_name: 'QakBot returns: infrastructure of the November wave',
      report_type: 'stix-report',
      report_date: '2026-11-10T12:00:00Z',
      author: 'Example Threat Research',
      tlp: 'amber',
    });
    assert.equal(find(records, 'qbot-loader.example.com').attributes?.tlp, 'green', "the report's marking when the indicator has none");
    assert.deepEqual(find(records, '203.0.113.150').attributes, {
      entry_id: 'indicator--a1000000-0000-4000-8000-000000000003',
      indicator_name: 'Scanner outside any report',
      stix_pattern: "[ipv4-addr:value = '203.0.113.150']",
    });
    const apt1 = await parseFixture('stix-bundle', 'apt1.json');
    const r = find(apt1.records, '223.166.0.0/15').attributes ?? {};
    assert.equal(r.report_name, "APT1: Exposing One of China's Cyber Espionage Units");
    assert.equal(r.report_date, '2013-02-19T00:00:00Z');
  });

  test('STIX: the values of one pattern outside any report are one entry', async () => {
    const { records } = await parseFixture('stix-bundle', 'stix-relationships-handmade.json');
    const origins = new Set(['198.51.100.10', '198.51.100.11', 'c2.example.net'].map((v) => {
      const r = find(records, v);
      return originOf({ feedId: 'stix', type: r.type, value: r.value, attributes: r.attributes ?? {} });
    }));
    assert.deepEqual([...origins], ['entry:stix:indicator--a0000000-0000-4000-8000-000000000001']);
  });
});

describe('malware family from every structured place', () => {
  test('MISP: malpedia, mitre-malware (galaxy without tag_name, " - S0367" dropped) and tool tags; the attribute tag first', async () => {
    const { records } = await parseFixture('misp-feed', 'misp-event-seen-handmade.json');
    assert.equal(find(records, '198.51.100.140').malwareFamily, 'Emotet');
    assert.equal(find(records, 'http://update.example-cdn.com/tb/loader.bin').malwareFamily, 'Trick Bot');
    const handmade = await parseFixture('misp-feed', 'misp-feed-handmade/5f1a2b3c-0000-4000-8000-000000000001.json');
    assert.equal(find(handmade.records, '203.0.113.45').malwareFamily, 'Cobalt Strike');
  });

  const galaxies: [string, string | null][] = [
    ['misp-galaxy:malpedia="Cobalt Strike"', 'Cobalt Strike'],
    ['misp-galaxy:mitre-malware="Emotet - S0367"', 'Emotet'],
    ['misp-galaxy:mitre-tool="Mimikatz - S0002"', 'Mimikatz'],
    ['misp-galaxy:mitre-enterprise-attack-malware="PlugX - S0013"', 'PlugX'],
    ['misp-galaxy:mitre-enterprise-attack-tool="PsExec - S0029"', 'PsExec'],
    ['misp-galaxy:mitre-mobile-attack-malware="Pegasus for Android - S0316"', 'Pegasus for Android'],
    ['misp-galaxy:tool="Trick Bot"', 'Trick Bot'],
    ['misp-galaxy:backdoor="WellMess"', 'WellMess'],
    ['misp-galaxy:ransomware="Locky"', 'Locky'],
    ['misp-galaxy:rat="njRAT"', 'njRAT'],
    ['misp-galaxy:banker="Zeus"', 'Zeus'],
    ['misp-galaxy:botnet="Mirai"', 'Mirai'],
    ['misp-galaxy:stealer="RedLine"', 'RedLine'],
    ['misp-galaxy:android="Anubis"', 'Anubis'],
    ['misp-galaxy:exploit-kit="RIG"', 'RIG'],
    ['misp-galaxy:threat-actor="APT28"', null],
    ['misp-galaxy:mitre-attack-pattern="Phishing - T1566"', null],
    ['ms-caro-malware:malware-type="Ransom"', null],
    ['ecsirt:malicious-code="ransomware"', null],
  ];
  for (const [tag, family] of galaxies) {
    test(`MISP tag ${tag} → ${family ?? 'no family'}`, async () => {
      const event = { Event: { uuid: '5f1a2b3c-0000-4000-8000-0000000000c1', Tag: [{ name: tag }], Attribute: [{ type: 'domain', value: 'c2.example.com', to_ids: true }] } };
      const [r] = await collect(PARSERS['misp-feed'](JSON.stringify(event), newContext()));
      assert.equal(r?.malwareFamily, family);
    });
  }

  const attack: [string, string[]][] = [
    ['misp-galaxy:mitre-attack-pattern="Phishing - T1566"', ['T1566']],
    ['misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001"', ['T1566.001']],
    ['misp-galaxy:mitre-enterprise-attack-attack-pattern="Remote File Copy - T1105"', ['T1105']],
    ['misp-galaxy:mitre-mobile-attack-attack-pattern="Capture SMS Messages - T1412"', ['T1412']],
    ['misp-galaxy:mitre-malware="Emotet - S0367"', []],
  ];
  for (const [tag, ids] of attack) {
    test(`MISP tag ${tag} → ATT&CK ${ids.join(', ') || 'none'}`, async () => {
      const event = { Event: { uuid: '5f1a2b3c-0000-4000-8000-0000000000c2', Tag: [{ name: tag }], Attribute: [{ type: 'domain', value: 'c2.example.com', to_ids: true }] } };
      const [r] = await collect(PARSERS['misp-feed'](JSON.stringify(event), newContext()));
      assert.deepEqual(r?.attackIds, ids);
    });
  }

  test('STIX: indicates → malware; else the one malware of the report holding the indicator', async () => {
    const { records } = await parseFixture('stix-bundle', 'stix-report-sightings-handmade.json');
    assert.equal(find(records, '198.51.100.150').malwareFamily, 'QakBot');
    assert.equal(find(records, 'qbot-loader.example.com').malwareFamily, 'QakBot');
    assert.equal(find(records, '203.0.113.150').malwareFamily, null, 'outside the report, no family');
    const ivy = await parseFixture('stix-bundle', 'poisonivy.json');
    assert.equal(find(ivy.records, '219.76.208.163').malwareFamily, 'PIVY Variant (808e21d6efa2884811fbd0adf67fda78)', 'through indicates: the malware object as the report names it');
  });

  test('STIX: a report naming several malware gives no family to indicators that indicate none', async () => {
    const bundle = {
      type: 'bundle',
      id: 'bundle--00000000-0000-4000-8000-000000000010',
      objects: [
        { type: 'report', id: 'report--00000000-0000-4000-8000-000000000010', name: 'Two families', published: '2026-01-01T00:00:00Z', object_refs: ['indicator--00000000-0000-4000-8000-000000000011', 'malware--00000000-0000-4000-8000-000000000012', 'malware--00000000-0000-4000-8000-000000000013'] },
        { type: 'indicator', id: 'indicator--00000000-0000-4000-8000-000000000011', created: '2026-01-01T00:00:00Z', modified: '2026-01-01T00:00:00Z', valid_from: '2026-01-01T00:00:00Z', pattern: "[domain-name:value = 'two.example.com']", pattern_type: 'stix' },
        { type: 'malware', id: 'malware--00000000-0000-4000-8000-000000000012', name: 'Emotet', is_family: true },
        { type: 'malware', id: 'malware--00000000-0000-4000-8000-000000000013', name: 'QakBot', is_family: true },
      ],
    };
    const [r] = await collect(PARSERS['stix-bundle'](JSON.stringify(bundle), newContext()));
    assert.equal(r?.malwareFamily, null);
    assert.equal(r?.attributes?.report_name, 'Two families');
  });
});
