import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { parseDocument } from 'htmlparser2';
import type { Element } from 'domhandler';
import { mispEvent } from '../../src/exports/misp.ts';
import { cefLine, cefLines, cefValue } from '../../src/exports/cef.ts';
import { syslogLine, sdValue } from '../../src/exports/syslog.ts';
import { openIoc } from '../../src/exports/openioc.ts';
import { sigmaRules } from '../../src/exports/sigma.ts';
import type { ExportItem } from '../../src/exports/index.ts';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { mispEventRecords } from '../../src/feeds/parsers/misp.ts';
import { newContext } from '../../src/feeds/parsers/types.ts';
import { makeHarness, type Harness } from '../http/harness.ts';
import { collect, exportOptions, lookups, seed } from './helpers.ts';

describe('MISP, CEF, syslog, OpenIOC and Sigma exports', () => {
  let h: Harness;
  let items: ExportItem[];
  before(async () => {
    h = await makeHarness();
    await seed(h);
    items = await lookups(h);
  });
  after(() => h.close());

  test('MISP: category/type pairs, to_ids, TLP and galaxy tags; Verdict\'s MISP parser reads back every value', async () => {
    const doc = JSON.parse(await collect(mispEvent(items, exportOptions))) as { Event: Record<string, unknown> & { Object: { name: string; Attribute: Record<string, unknown>[] }[]; Tag: { name: string }[] } };
    const ev = doc.Event;
    assert.equal(ev.uuid, exportOptions.documentId);
    assert.equal(ev.Object.length, items.length, 'one object per indicator');
    const attrs = ev.Object.flatMap((o) => o.Attribute);
    const pairs = Object.fromEntries(attrs.map((a) => [a['type'], a['category']]));
    assert.deepEqual(pairs, { 'ip-dst': 'Network activity', domain: 'Network activity', url: 'Network activity', sha256: 'Payload delivery', 'email-src': 'Payload delivery', vulnerability: 'External analysis' });
    assert.equal(attrs.find((a) => a['type'] === 'vulnerability')!['to_ids'], false);
    assert.ok(ev.Tag.some((t) => t.name === 'tlp:amber'), 'the event takes the strictest TLP of its indicators');
    const ip = attrs.find((a) => a['type'] === 'ip-dst')!;
    assert.ok((ip['Tag'] as { name: string }[]).some((t) => /^misp-galaxy:mitre-attack-pattern=".* - T1071\.001"$/.test(t.name)), JSON.stringify(ip['Tag']));
    // round trip through the feed parser
    const records = [...mispEventRecords(ev, newContext({ includeNonIds: true }))];
    const got = records.map((r) => `${r.type} ${r.value}`).sort();
    const want = items.map((i) => `${i.type} ${i.value}`).sort();
    assert.deepEqual(got, want);
    const ipRecord = records.find((r) => r.type === 'ipv4')!;
    assert.ok(ipRecord.attackIds?.includes('T1071.001'), 'ATT&CK galaxy read back');
    assert.equal(ipRecord.malwareFamily, 'Emotet');
    assert.equal(ipRecord.attributes?.['tlp'], 'amber');
  });

  test('CEF: severity from the level, header and extension escaping', async () => {
    const ip = items.find((i) => i.type === 'ipv4')!;
    const line = cefLine(ip, exportOptions);
    assert.match(line, /^CEF:0\|Verdict\|Verdict\|1\|ioc-ipv4\|\w+ risk ipv4\|(3|5|8|10)\|rt=\d+ dst=203\.0\.113\.77 /);
    const sev = { low: '3', medium: '5', high: '8', critical: '10' }[ip.risk.level];
    assert.equal(line.split('|')[6], sev);
    const url = items.find((i) => i.type === 'url')!;
    const urlLine = cefLine(url, exportOptions);
    assert.ok(urlLine.includes(`request=${url.value.replaceAll('=', '\\=')}`), urlLine);
    assert.equal(cefValue('a=b\\c\nd'), 'a\\=b\\\\c\\nd');
    const crafted = cefLine({ ...ip, type: 'domain', value: 'x', risk: { ...ip.risk, level: 'critical' }, malware_families: ['pipe|fam=ily\nx'] }, exportOptions);
    assert.equal(crafted.split('\n').length, 1, 'one line');
    assert.ok(crafted.includes('cs5=pipe|fam\\=ily\\nx'), crafted);
    assert.equal(crafted.split('|')[6], '10');
    const all = await collect(cefLines(items, exportOptions));
    assert.equal(all.trimEnd().split('\n').length, items.length);
  });

  test('RFC 5424 syslog: PRI from local0 and the level, structured data escaped', () => {
    const ip = items.find((i) => i.type === 'ipv4')!;
    const line = syslogLine({ ...ip, risk: { ...ip.risk, level: 'critical' } }, { ...exportOptions, hostname: 'verdict-1' });
    assert.match(line, /^<130>1 2026-11-30T12:00:00\.000Z verdict-1 verdict - ioc \[verdict@32473 type="ipv4" value="203\.0\.113\.77" level="critical" /);
    assert.match(syslogLine({ ...ip, risk: { ...ip.risk, level: 'low' } }, exportOptions), /^<134>1 \S+ - verdict - ioc /);
    assert.equal(sdValue('a"b\\c]d\ne'), 'a\\"b\\\\c\\]d e');
    const crafted = syslogLine({ ...ip, malware_families: ['x"] [y'] }, exportOptions);
    assert.ok(crafted.includes('families="x\\"\\] [y"'), crafted);
  });

  test('OpenIOC 1.0: one IndicatorItem per observable with the 1.0 terms, escaped', async () => {
    const xml = await collect(openIoc(items, exportOptions));
    const doc = parseDocument(xml, { xmlMode: true });
    const find = (el: { children?: unknown[] }, name: string): Element[] => {
      const out: Element[] = [];
      for (const c of (el.children ?? []) as Element[]) {
        if (c.type === 'tag' && c.name === name) out.push(c);
        if (c.children) out.push(...find(c, name));
      }
      return out;
    };
    const [ioc] = find(doc, 'ioc');
    assert.ok(ioc, 'an <ioc> root');
    assert.equal(ioc.attribs['xmlns'], 'http://schemas.mandiant.com/2010/ioc');
    for (const el of ['short_description', 'authored_by', 'authored_date', 'definition']) assert.equal(find(ioc, el).length, 1, el);
    const items2 = find(ioc, 'IndicatorItem');
    assert.equal(items2.length, 5, 'IP, domain, URL, hash, email (no term for a CVE)');
    const terms = items2.map((i) => `${find(i, 'Context')[0]!.attribs['search']}=${(find(i, 'Content')[0]!.children[0] as unknown as { data: string }).data}`);
    assert.ok(terms.includes('PortItem/remoteIP=203.0.113.77'), terms.join());
    assert.ok(terms.includes(`FileItem/Sha256sum=${'a'.repeat(64)}`));
    const url = items.find((i) => i.type === 'url')!.value;
    assert.ok(xml.includes(url.replaceAll("'", '&apos;')), 'the quote is escaped');
    assert.ok(terms.includes(`UrlHistoryItem/URL=${url}`), 'and reads back');
  });

  test('Sigma: one rule per indicator in a multi-document YAML, each valid against the Sigma schema', async () => {
    const schema = JSON.parse(readFileSync(new URL('../fixtures/siem/sigma/sigma-detection-rule-schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    ajv.addFormat('date', /^\d{4}[-/]\d{2}[-/]\d{2}$/);
    const validate = ajv.compile(schema);
    const text = await collect(sigmaRules(items, createHuntingQueryBuilder()));
    const docs = parseAllDocuments(text);
    assert.equal(docs.length, items.length);
    const ids = new Set<string>();
    for (const d of docs) {
      assert.equal(d.errors.length, 0);
      const rule = d.toJS() as { id: string };
      assert.ok(validate(rule), JSON.stringify(validate.errors));
      ids.add(rule.id);
    }
    assert.equal(ids.size, items.length, 'a distinct rule each');
  });
});
