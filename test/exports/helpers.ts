/** Lookup results to export: real lookups through the app over a store with known sightings. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ExportItem } from '../../src/exports/index.ts';
import { NOW, type Harness } from '../http/harness.ts';

export const DAY = 86_400_000;

/** Sightings on the harness's two feeds: an IP, a domain, a URL, a hash, an email, a CVE. */
export async function seed(h: Harness): Promise<void> {
  await h.ingest('cisa-alerts', [
    { type: 'ipv4', value: '203.0.113.77', threatType: 'botnet_cc', malwareFamily: 'Emotet', attackIds: ['T1071.001'], firstSeen: '2026-11-01T00:00:00Z', lastSeen: '2026-11-29T00:00:00Z', referenceUrl: 'https://example.org/a?x=1&y=2' },
    { type: 'domain', value: 'evil.example.com', threatType: 'phishing', firstSeen: '2026-11-20T00:00:00Z', lastSeen: '2026-11-28T00:00:00Z' },
    { type: 'url', value: "http://evil.example.com/it's|a=path\\x", threatType: 'payload_delivery', firstSeen: '2026-11-25T00:00:00Z', lastSeen: '2026-11-29T00:00:00Z' },
    { type: 'sha256', value: 'a'.repeat(64), threatType: 'payload', malwareFamily: 'QakBot', firstSeen: '2026-11-10T00:00:00Z', lastSeen: '2026-11-12T00:00:00Z' },
    { type: 'email', value: 'phish@evil.example.com', threatType: 'phishing', firstSeen: '2026-11-10T00:00:00Z', lastSeen: '2026-11-12T00:00:00Z' },
    { type: 'cve', value: 'CVE-2021-44228', threatType: 'exploited_vulnerability', firstSeen: '2021-12-10T00:00:00Z', lastSeen: '2026-11-01T00:00:00Z' },
  ]);
  await h.ingest('emerging-threats', [
    { type: 'ipv4', value: '203.0.113.77', threatType: 'botnet_cc', confidence: 80, firstSeen: '2026-10-15T00:00:00Z', lastSeen: '2026-11-20T00:00:00Z', attributes: { tlp: 'amber' } },
  ]);
}

export const SEEDED: { type: string; value: string }[] = [
  { type: 'ipv4', value: '203.0.113.77' },
  { type: 'domain', value: 'evil.example.com' },
  { type: 'url', value: "http://evil.example.com/it's|a=path\\x" },
  { type: 'sha256', value: 'a'.repeat(64) },
  { type: 'email', value: 'phish@evil.example.com' },
  { type: 'cve', value: 'CVE-2021-44228' },
];

/** Each seeded indicator's lookup result, as the API answers it. */
export async function lookups(h: Harness): Promise<ExportItem[]> {
  const out: ExportItem[] = [];
  for (const s of SEEDED) {
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/lookup?value=${encodeURIComponent(s.value)}&type=${s.type}`, headers: h.auth() });
    if (res.statusCode !== 200) throw new Error(`lookup ${s.value}: ${res.body}`);
    out.push(res.json() as ExportItem);
  }
  return out;
}

export const exportOptions = { now: NOW, lifetimeDays: (t: string) => ({ ipv4: 60, ipv6: 60, url: 60, domain: 180, email: 180 })[t] ?? null, documentId: '11111111-2222-4333-8444-555555555555' };

export async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const c of chunks) s += c;
  return s;
}

const SCHEMA_DIR = fileURLToPath(new URL('../fixtures/stix-schemas/', import.meta.url));

/** Ajv with every official STIX 2.1 schema loaded; `validator('indicator')` and `validator('bundle')`. */
export function stixValidators(): { bundle: ValidateFunction; of(type: string): ValidateFunction } {
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false }) // the schemas' patterns escape '-', which the u flag refuses;
  const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
  addFormats(ajv);
  const byType = new Map<string, string>();
  for (const dir of ['common', 'sdos', 'sros', 'observables']) {
    for (const f of readdirSync(join(SCHEMA_DIR, dir))) {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, dir, f), 'utf8')) as { $id: string };
      ajv.addSchema(schema);
      byType.set(f.replace(/\.json$/, ''), schema.$id);
    }
  }
  const get = (name: string): ValidateFunction => {
    const id = byType.get(name);
    const v = id === undefined ? undefined : ajv.getSchema(id);
    if (v === undefined) throw new Error(`no STIX schema for ${name}`);
    return v;
  };
  return { bundle: get('bundle'), of: get };
}
