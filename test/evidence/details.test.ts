/** The details vocabulary and report origins: what a feed stated, read back the same whichever name it was stored under. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DETAIL_KEYS, detail, detailsOf, statusOf } from '../../src/evidence/details.ts';
import { originLabel, originOf } from '../../src/evidence/origin.ts';

const doc = readFileSync(new URL('../../docs/feeds.md', import.meta.url), 'utf8');

describe('details vocabulary', () => {
  it('docs/feeds.md lists every key with its kind and the older names read as it', () => {
    for (const d of DETAIL_KEYS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${d.key}\` |`));
      assert.ok(row !== undefined, `docs/feeds.md documents ${d.key}`);
      assert.ok(row.includes(`| ${d.kind} |`), `${d.key}: kind ${d.kind}`);
      for (const a of ('aliases' in d ? d.aliases : []) as readonly string[]) assert.ok(row.includes(`\`${a}\``), `${d.key}: also read from ${a}`);
    }
    assert.equal(new Set(DETAIL_KEYS.map((d) => d.key)).size, DETAIL_KEYS.length, 'each key once');
  });

  const cases: { name: string; attributes: Record<string, unknown>; tags?: string[]; expect: Record<string, unknown> }[] = [
    {
      name: 'a Feodo Tracker entry: vocabulary order, numbers as numbers, status in lower case',
      attributes: { status: 'Offline', country: 'US', port: '8080', as_number: 64501, as_name: 'EXAMPLE-HOSTING', hostname: 'vps.example.net' },
      expect: { port: 8080, hostname: 'vps.example.net', asn: 64501, as_name: 'EXAMPLE-HOSTING', country: 'US', status: 'offline' },
    },
    {
      name: 'a MISP attribute stored by an earlier version, under the old names',
      attributes: { eventUuid: 'e-1', eventInfo: 'Loader campaign', attributeUuid: 'a-1', mispType: 'url', toIds: 'true', comment: 'seen in sandbox' },
      expect: { entry_id: 'a-1', report_id: 'e-1', report_name: 'Loader campaign', comment: 'seen in sandbox', misp_type: 'url', to_ids: true },
    },
    {
      name: 'the vocabulary key beats an older name for the same thing, whichever comes first',
      attributes: { sblId: 'SBL-old', sbl: 'SBL1', url_status: 'online', status: 'offline' },
      expect: { sbl: 'SBL1', status: 'offline' },
    },
    {
      name: "a KEV entry: its fields under vocabulary keys, its long texts left to related.kev",
      attributes: { cveID: 'CVE-2021-44228', vendorProject: 'Apache', product: 'Log4j2', dateAdded: '2021-12-10', shortDescription: 'long…', requiredAction: 'patch', notes: 'x', knownRansomwareCampaignUse: 'Known', cwes: ['CWE-502'] },
      expect: { vendor_project: 'Apache', product: 'Log4j2', date_added: '2021-12-10', ransomware_use: 'Known', cwes: ['CWE-502'], cveID: 'CVE-2021-44228' },
    },
    {
      name: "a team's own columns keep their names, after the vocabulary; the feed's tags last among the known",
      attributes: { owner: 'soc', ticket: 'INC-42', reason: 'red team' },
      tags: ['c2', 'campaign-x'],
      expect: { reason: 'red team', owner: 'soc', tags: ['c2', 'campaign-x'], ticket: 'INC-42' },
    },
    { name: 'empty values are left out', attributes: { port: null, hostname: '', country: undefined }, expect: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = detailsOf(c.attributes, c.tags);
      assert.deepEqual(got, c.expect);
      assert.deepEqual(Object.keys(got), Object.keys(c.expect), 'in vocabulary order');
    });
  }

  it('status and single details are read through the older names too', () => {
    assert.equal(statusOf({ c2_status: ' Online ' }), 'online');
    assert.equal(statusOf({}), null);
    assert.equal(detail({ as_number: 13335 }, 'asn'), 13335);
    assert.equal(detail({ asn: 1, as_number: 2 }, 'asn'), 1);
  });
});

describe('report origins', () => {
  const s = (attributes: Record<string, unknown>, feedId = 'f', value = 'v') => ({ feedId, type: 'url', value, attributes });
  const cases: { name: string; attributes: Record<string, unknown>; feed?: string; expect: string | null; label: string }[] = [
    { name: 'a MISP event, whichever feed relays it', attributes: { report_id: 'e-1', report_type: 'misp-event', report_name: 'Loader campaign', entry_id: 'a-1' }, expect: 'report:e-1', label: 'MISP event "Loader campaign"' },
    { name: 'a MISP event stored by an earlier version', attributes: { eventUuid: 'e-1', eventInfo: 'Old' }, expect: 'report:e-1', label: 'MISP event "Old"' },
    { name: 'an OTX pulse', attributes: { report_id: '5f0c', report_type: 'otx-pulse', report_name: 'Phishing wave' }, expect: 'report:5f0c', label: 'OTX pulse "Phishing wave"' },
    { name: 'a Spamhaus SBL record, across DROP and DROPv6', attributes: { sbl: 'SBL256894', rir: 'apnic' }, expect: 'sbl:SBL256894', label: 'Spamhaus SBL256894' },
    { name: "one feed's entry: its id belongs to the feed", attributes: { entry_id: 'indicator--1' }, feed: 'taxii', expect: 'entry:taxii:indicator--1', label: 'entry indicator--1' },
    { name: 'none of these: a report of its own', attributes: { port: 443 }, expect: null, label: 'url v' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(originOf(s(c.attributes, c.feed)), c.expect);
      assert.equal(originLabel(s(c.attributes, c.feed)), c.label);
    });
  }
});
