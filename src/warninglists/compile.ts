/**
 * Compiles warning lists into lookup structures once, at start-up: IP range tables, one name index
 * per kind of value, and the (rare) substring and regex lists.
 */
import { ipv4ToInt, ipv6ToBigInt, parseIpv4Range, parseIpv6Range, RangeTable } from './ip.ts';
import { NameIndex, nameEntry } from './names.ts';
import type { MatchVia, WarninglistMatch, WarninglistSource, WarninglistSummary, Warninglists } from './types.ts';

/** Kinds of value a list can apply to, derived from MISP `matching_attributes`. */
type Kind = 'ip' | 'domain' | 'url' | 'email' | 'hash';
const KINDS: readonly Kind[] = ['ip', 'domain', 'url', 'email', 'hash'];

const MISP_ATTRIBUTE_KINDS: Readonly<Record<string, Kind>> = {
  'ip-src': 'ip',
  'ip-dst': 'ip',
  'ip-src|port': 'ip',
  'ip-dst|port': 'ip',
  domain: 'domain',
  hostname: 'domain',
  'domain|ip': 'domain',
  url: 'url',
  uri: 'url',
  'email-src': 'email',
  'email-dst': 'email',
  'whois-registrant-email': 'email',
  'dns-soa-email': 'email',
  md5: 'hash',
  sha1: 'hash',
  sha224: 'hash',
  sha256: 'hash',
  sha512: 'hash',
};

const HASH_TYPES = new Set(['md5', 'sha1', 'sha256', 'sha512']);

interface ListRef {
  id: string;
  name: string;
}

interface Scan<T> {
  list: ListRef;
  items: T[];
}

export interface CompileReport {
  /** Entries that could not be read (e.g. a malformed CIDR), per list id. */
  skipped: Record<string, number>;
}

export function compileWarninglists(sources: readonly WarninglistSource[]): Warninglists & { report: CompileReport } {
  const v4: { list: ListRef; table: RangeTable<number> }[] = [];
  const v6: { list: ListRef; table: RangeTable<bigint> }[] = [];
  const names = new Map<Kind, NameIndex<ListRef>>(KINDS.map((k) => [k, new NameIndex<ListRef>()]));
  const substrings = new Map<Kind, Scan<string>[]>(KINDS.map((k) => [k, []]));
  const regexes = new Map<Kind, Scan<RegExp>[]>(KINDS.map((k) => [k, []]));
  const summaries: WarninglistSummary[] = [];
  const skipped: Record<string, number> = {};

  for (const src of sources) {
    const list: ListRef = { id: src.id, name: src.file.name };
    const type = src.matching.matchAs ?? src.file.type;
    const entries = [...src.file.list, ...(src.matching.extraEntries ?? [])];
    const kinds = kindsOf(src.file.matching_attributes);
    let bad = 0;
    summaries.push({ id: src.id, name: src.file.name, type: src.file.type, version: src.file.version, entries: entries.length });

    if (type === 'cidr') {
      const r4: [number, number][] = [];
      const r6: [bigint, bigint][] = [];
      for (const e of entries) {
        const t = e.trim();
        const r = t.includes(':') ? parseIpv6Range(t) : parseIpv4Range(t);
        if (r === null) bad++;
        else if (typeof r[0] === 'bigint') r6.push(r as [bigint, bigint]);
        else r4.push(r as [number, number]);
      }
      if (r4.length > 0) v4.push({ list, table: new RangeTable(r4) });
      if (r6.length > 0) v6.push({ list, table: new RangeTable(r6) });
    } else if (type === 'string' || type === 'hostname') {
      for (const kind of kinds) {
        const index = names.get(kind) as NameIndex<ListRef>;
        for (const e of entries) {
          const n = nameEntry(e, type);
          if (n === null) bad++;
          else index.add(n.name, list, n.mode, e);
        }
      }
    } else if (type === 'substring') {
      const items = entries.map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
      for (const kind of kinds) (substrings.get(kind) as Scan<string>[]).push({ list, items });
    } else {
      const items: RegExp[] = [];
      for (const e of entries) {
        try {
          items.push(new RegExp(e, 'i'));
        } catch {
          bad++;
        }
      }
      for (const kind of kinds) (regexes.get(kind) as Scan<RegExp>[]).push({ list, items });
    }
    if (bad > 0) skipped[src.id] = bad;
  }

  function scanText(kind: Kind, text: string, via: MatchVia, out: Collector): void {
    for (const s of substrings.get(kind) as Scan<string>[]) {
      if (out.has(s.list.id)) continue;
      const found = s.items.find((i) => text.includes(i));
      if (found !== undefined) out.add(s.list, via, found);
    }
    for (const s of regexes.get(kind) as Scan<RegExp>[]) {
      if (!out.has(s.list.id) && s.items.some((re) => re.test(text))) out.add(s.list, via);
    }
  }

  function matchName(kind: Kind, name: string, via: MatchVia, out: Collector): void {
    (names.get(kind) as NameIndex<ListRef>).lookup(name, (e) => out.add(e.list, via, e.entry));
    scanText(kind, name, via, out);
  }

  function matchIp(ip: string, via: MatchVia, out: Collector): boolean {
    const n4 = ipv4ToInt(ip);
    if (n4 !== null) {
      for (const t of v4) if (t.table.has(n4)) out.add(t.list, via);
      return true;
    }
    const n6 = ipv6ToBigInt(ip);
    if (n6 !== null) {
      for (const t of v6) if (t.table.has(n6)) out.add(t.list, via);
      // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address for every list.
      if (n6 >> 32n === 0xffffn) {
        const n = Number(n6 & 0xffffffffn);
        for (const t of v4) if (t.table.has(n)) out.add(t.list, via);
      }
      return true;
    }
    return false;
  }

  function match(type: string, value: string, parsedHost?: string | null): WarninglistMatch[] {
    const out = new Collector();
    const v = value.trim().toLowerCase();
    if (type === 'ipv4' || type === 'ipv6') matchIp(v, 'value', out);
    else if (type === 'domain') matchName('domain', stripDot(v), 'value', out);
    else if (HASH_TYPES.has(type)) matchName('hash', v, 'value', out);
    else if (type === 'email') {
      const at = v.lastIndexOf('@');
      if (at > 0) matchName('email', stripDot(v.slice(at + 1)), 'domain', out);
      scanText('email', v, 'value', out);
    } else if (type === 'url') {
      const host = parsedHost === undefined ? hostOf(v) : parsedHost;
      if (host !== null && !matchIp(host, 'host', out)) matchName('domain', host, 'host', out);
      scanText('url', v, 'value', out);
    }
    return out.hits;
  }

  return { lists: summaries, match, report: { skipped } };
}

class Collector {
  readonly hits: WarninglistMatch[] = [];
  private readonly seen = new Set<string>();
  has(id: string): boolean {
    return this.seen.has(id);
  }
  add(list: ListRef, via: MatchVia, entry?: string): void {
    if (this.seen.has(list.id)) return;
    this.seen.add(list.id);
    this.hits.push(entry === undefined ? { id: list.id, name: list.name, via } : { id: list.id, name: list.name, via, entry });
  }
}

function kindsOf(attributes: readonly string[] | undefined): Kind[] {
  if (attributes === undefined || attributes.length === 0) return [...KINDS];
  const kinds = new Set<Kind>();
  for (const a of attributes) {
    const k = MISP_ATTRIBUTE_KINDS[a];
    if (k !== undefined) kinds.add(k);
  }
  // Lists for URLs name hosts; Verdict checks a URL's host against the domain lists.
  if (kinds.has('url')) kinds.add('domain');
  return [...kinds];
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Host of a URL without brackets or port; null when the URL cannot be read. */
export function hostOf(url: string): string | null {
  try {
    const host = new URL(url).hostname;
    if (host === '') return null;
    return host.startsWith('[') ? host.slice(1, -1) : stripDot(host);
  } catch {
    return null;
  }
}
