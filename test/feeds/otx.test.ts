/**
 * AlienVault OTX pulse exports (hand-made in the layout the DirectConnect API and a pulse export
 * give): each indicator keeps its pulse as its report, its own dates, its type mapped from OTX's;
 * kinds Verdict does not hold are counted as skipped, not refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PARSERS, newContext } from '../../src/feeds/index.ts';
import { pulsesOf } from '../../src/feeds/parsers/otx.ts';
import { statusOf } from '../../src/evidence/details.ts';
import { originLabel, originOf } from '../../src/evidence/origin.ts';
import { parseScoringRules, scoreEvidence } from '../../src/scoring/index.ts';
import type { SightingRecord } from '../../src/model.ts';
import { NOW, sighting } from '../intel/fixtures.ts';
import { collect, find, fixture, parseFixture } from './helpers.ts';

const PULSE_1 = '6734c1f2a9e5d3b8c7f01a2b';
const PULSE_2 = '6734c1f2a9e5d3b8c7f01a2c';

async function parseText(text: string, options: Record<string, unknown> = {}) {
  const ctx = newContext(options);
  const records = await collect(PARSERS.otx(Buffer.from(text), ctx));
  return { records, ctx };
}

describe('OTX pulse export (a JSON array of pulses)', () => {
  test('maps every OTX type Verdict holds, to canonical values', async () => {
    const { records } = await parseFixture('otx', 'otx-pulses-handmade.json');
    const got = records.map((r) => `${r.type} ${r.value}`).sort();
    assert.deepEqual(got, [
      'cidr 198.51.100.0/24',
      'cve CVE-2024-3400',
      'domain cdn.invoice-portal.example.net',
      'domain invoice-portal.example.net',
      'email billing@invoice-portal.example.net',
      'ipv4 198.51.100.23',
      'ipv4 203.0.113.45',
      'ipv6 2001:db8::5',
      'md5 5d41402abc4b2a76b9719d911017c592',
      'sha256 0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
      'url http://198.51.100.23/global-protect/login.esp',
      'url http://invoice-portal.example.net/download/inv_2291.zip',
    ]);
  });

  test('kinds Verdict does not hold are counted as skipped by their OTX name; a bad value is refused', async () => {
    const { ctx } = await parseFixture('otx', 'otx-pulses-handmade.json');
    assert.deepEqual(Object.fromEntries(ctx.tally.skipped), { URI: 1, 'FileHash-IMPHASH': 1, FilePath: 1, Mutex: 1, YARA: 1, JA3: 1 }, 'a URI without a host is skipped too');
    assert.equal(ctx.tally.rejected, 1);
    assert.match(ctx.tally.samples[0] ?? '', /IPv4 203\.0\.113\.300/);
  });

  test('each indicator carries its pulse as its report, and its own entry, dates and role', async () => {
    const { records } = await parseFixture('otx', 'otx-pulses-handmade.json');
    const c2 = find(records, '203.0.113.45');
    assert.deepEqual(c2.attributes, {
      report_id: PULSE_1,
      report_type: 'otx-pulse',
      report_name: 'Loader campaign delivering Emotet via fake invoices',
      report_date: '2026-11-18T14:02:10.503Z',
      author: 'example-researcher',
      tlp: 'green',
      adversary: 'TA542',
      references: ['https://blog.example.org/emotet-invoice-2026', 'https://sandbox.example.com/report/123'],
      entry_id: '4210000101',
      comment: 'C2 server',
      valid_until: '2026-12-18T00:00:00Z',
    });
    assert.equal(c2.firstSeen, '2026-11-18T14:02:11Z', "the indicator's own created date");
    assert.equal(c2.lastSeen, undefined, 'OTX states one date per indicator');
    assert.equal(c2.threatType, 'botnet_cc', 'role command_and_control');
    assert.equal(c2.malwareFamily, 'Emotet', 'the first of malware_families');
    assert.deepEqual(c2.tags, ['emotet', 'malspam', 'invoice']);
    assert.deepEqual(c2.attackIds, ['T1566.001', 'T1204.002'], 'techniques only (the tactic TA0001 is not one)');
    assert.equal(c2.referenceUrl, `https://otx.alienvault.com/pulse/${PULSE_1}`);
    assert.equal(find(records, 'http://invoice-portal.example.net/download/inv_2291.zip').threatType, 'payload_delivery', 'role malware_hosting');
    assert.equal(find(records, 'invoice-portal.example.net').threatType, null, 'no role, no threat type the pulse did not state');
    assert.equal(find(records, 'invoice-portal.example.net').attributes?.comment, 'landing page', 'the description when there is no title');
  });

  test('the API form of a pulse: attack_ids and malware_families as objects, no adversary or references', async () => {
    const { records } = await parseFixture('otx', 'otx-pulses-handmade.json');
    const cve = find(records, 'CVE-2024-3400');
    assert.deepEqual(cve.attackIds, ['T1190', 'T1595.002']);
    assert.equal(cve.malwareFamily, 'UPSTYLE');
    assert.equal(cve.attributes?.tlp, 'white');
    assert.equal(cve.attributes?.adversary, undefined, 'an empty adversary is absent');
    assert.equal(cve.attributes?.references, undefined);
  });

  test('an expired, inactive indicator says so, and weighs as inactive in the risk model', async () => {
    const { records } = await parseFixture('otx', 'otx-pulses-handmade.json');
    const scanner = find(records, '198.51.100.23');
    assert.equal(scanner.threatType, 'scanner');
    assert.equal(scanner.attributes?.valid_until, '2026-10-31T10:00:00Z');
    assert.equal(statusOf(scanner.attributes ?? {}), 'inactive');
    const rules = parseScoringRules(JSON.parse(readFileSync(new URL('../../data/scoring.json', import.meta.url), 'utf8')) as Record<string, unknown>);
    const otx = { id: 'alienvault-otx', name: 'AlienVault OTX', category: 'community', reliability: 'C' } as const;
    const score = (attributes: Record<string, unknown>) =>
      scoreEvidence({ type: 'ipv4', sightings: [sighting('ipv4', scanner.value, { feed: otx, lastSeenDaysAgo: 3, threatType: 'scanner', attributes })], context: [], override: null, warninglists: [] }, rules, NOW);
    const active = score({ report_id: PULSE_2 });
    const inactive = score(scanner.attributes ?? {});
    assert.ok(inactive.score < active.score, `${inactive.score} < ${active.score}`);
    assert.match(inactive.factors.find((f) => f.kind === 'status')?.description ?? '', /AlienVault OTX marks it inactive/);
  });

  test('the indicators of one pulse are one report for corroboration, labelled as the OTX pulse', async () => {
    const { records } = await parseFixture('otx', 'otx-pulses-handmade.json');
    const ofPulse = records.filter((r) => r.attributes?.report_id === PULSE_1);
    assert.equal(ofPulse.length, 7);
    const origins = new Set(ofPulse.map((r) => originOf({ feedId: 'alienvault-otx', type: r.type, value: r.value, attributes: r.attributes ?? {} })));
    assert.deepEqual([...origins], [`report:${PULSE_1}`]);
    const first = ofPulse[0] as SightingRecord;
    assert.equal(originLabel({ feedId: 'alienvault-otx', type: first.type, value: first.value, attributes: first.attributes ?? {} }), 'OTX pulse "Loader campaign delivering Emotet via fake invoices"');
  });
});

describe('the other shapes OTX gives pulses in', () => {
  const exported = readFileSync(fixture('otx-pulses-handmade.json'), 'utf8');
  const page = readFileSync(fixture('otx-page-handmade.json'), 'utf8');

  test('an API page {"results": […], "next": …}: its pulses, the next link left to the source', async () => {
    const { records, ctx } = await parseText(page);
    assert.deepEqual(records.map((r) => `${r.type} ${r.value} ${r.threatType}`), ['domain parcel-redelivery.example.com phishing', 'url https://parcel-redelivery.example.com/track?id=55 phishing']);
    assert.deepEqual(Object.fromEntries(ctx.tally.skipped), { BitcoinAddress: 1 });
    assert.equal(records[0]?.attributes?.tlp, 'amber');
  });

  test('one pulse object, and an array of pages, read like the export', async () => {
    const pulses = JSON.parse(exported) as unknown[];
    const whole = await parseText(exported);
    const one = await parseText(JSON.stringify(pulses[0]));
    assert.deepEqual(one.records, whole.records.filter((r) => r.attributes?.report_id === PULSE_1));
    const pages = await parseText(JSON.stringify([{ results: pulses, next: null }, JSON.parse(page)]));
    assert.equal(pages.records.length, whole.records.length + 2);
  });

  test('options.threatType is the default for indicators without a role; options.pulseUrlBase the page', async () => {
    const { records } = await parseText(exported, { threatType: 'malicious_infrastructure', pulseUrlBase: 'https://otx.example.org/p/' });
    assert.equal(find(records, 'invoice-portal.example.net').threatType, 'malicious_infrastructure');
    assert.equal(find(records, '203.0.113.45').threatType, 'botnet_cc', 'a role still wins');
    assert.equal(find(records, '203.0.113.45').referenceUrl, `https://otx.example.org/p/${PULSE_1}`);
  });

  test('documents that are not pulses are refused whole; entries that are not pulses or indicators are counted', async () => {
    for (const doc of ['{"detail": "Authentication required"}', '"x"', 'null', '42']) {
      await assert.rejects(parseText(doc), /OTX: expected a JSON array of pulses/, doc);
    }
    await assert.rejects(parseText('[{"id": '), /OTX pulses: not valid JSON/);
    const { records, ctx } = await parseText(JSON.stringify([{ id: 'p', name: 'no indicators' }, 7, { id: 'q', indicators: ['x', { type: 'IPv4' }, { indicator: '192.0.2.1' }, { type: 'IPv4', indicator: '192.0.2.1' }] }]));
    assert.deepEqual(records.map((r) => r.value), ['192.0.2.1']);
    assert.equal(ctx.tally.rejected, 5);
    assert.deepEqual(pulsesOf({ results: [] }), []);
  });

  test('a skipped kind is named as OTX names it, cut short when it is long', async () => {
    const long = 'X'.repeat(100);
    const { ctx } = await parseText(JSON.stringify([{ id: 'p', indicators: [{ type: long, indicator: 'a' }, { type: 'osquery', indicator: 'select 1' }] }]));
    assert.deepEqual(Object.fromEntries(ctx.tally.skipped), { [`${'X'.repeat(40)}…`]: 1, osquery: 1 });
    assert.equal(ctx.tally.rejected, 0);
  });

  test('an export over the JSON cap is refused before it is parsed', async () => {
    await assert.rejects(parseText(exported, { maxJsonBytes: 1024 }), /OTX pulses: the JSON document is larger than 1 KiB \(1024 bytes\).*options\.maxJsonBytes/);
  });
});
