/**
 * Compiles warning lists into lookup structures, each kind of value the first time it is asked
 * for: the IP range tables on the first IP, the name index of domains on the first domain, and so
 * on. A command that looks up one IP builds the IP tables only (the name lists are ~150,000
 * entries); a server builds each once, on the first lookup of that kind (see createIntelligence's
 * `warm` to build them all ahead).
 */
import { ipv4ToInt, ipv6ToBigInt, parseIpv4Range, parseIpv6Range, RangeSets, RangeTable } from './ip.ts';
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

export function compileWarninglists(sources: readonly WarninglistSource[]): Warninglists & { report: CompileReport; warm(): void; warmSteps(): (() => void)[] } {
  const summaries: WarninglistSummary[] = [];
  const prepared = sources.map((src) => {
    const meta = src.meta ?? { ...src.file, entries: src.file.list.length };
    const extra = src.matching.extraEntries ?? [];
    summaries.push({ id: src.id, name: meta.name, type: meta.type, version: meta.version, entries: meta.entries + extra.length });
    let entries: string[] | null = null;
    return {
      list: { id: src.id, name: meta.name } as ListRef,
      type: src.matching.matchAs ?? meta.type,
      kinds: kindsOf(meta.matching_attributes),
      /** The entries, read when this list's kind is first compiled. */
      get entries(): string[] {
        return (entries ??= [...src.file.list, ...extra]);
      },
    };
  });
  /** Unreadable entries per list, counted once per list by whichever compilation reads it first. */
  const bad = new Map<string, number>();
  const countBad = (id: string, n: number): void => {
    if (n > 0 && !bad.has(id)) bad.set(id, n);
  };

  /** The range tables of one IP family, built on the first address of that family, as one table of which lists hold each address. */
  function rangeSets<N extends number | bigint>(family: 4 | 6, after: (n: N) => N): RangeSets<N, ListRef> {
    const out: { item: ListRef; table: RangeTable<N> }[] = [];
    for (const p of prepared) {
      if (p.type !== 'cidr') continue;
      const ranges: [N, N][] = [];
      let n = 0;
      for (const e of p.entries) {
        const t = e.trim();
        if (t.includes(':') !== (family === 6)) continue;
        const r = family === 6 ? parseIpv6Range(t) : parseIpv4Range(t);
        if (r === null) n++;
        else ranges.push(r as [N, N]);
      }
      if (n > 0) bad.set(p.list.id, (bad.get(p.list.id) ?? 0) + n);
      if (ranges.length > 0) out.push({ item: p.list, table: new RangeTable(ranges) });
    }
    return new RangeSets(out, after);
  }
  let v4Sets: RangeSets<number, ListRef> | null = null;
  let v6Sets: RangeSets<bigint, ListRef> | null = null;
  const v4 = () => (v4Sets ??= rangeSets<number>(4, (n) => n + 1));
  const v6 = () => (v6Sets ??= rangeSets<bigint>(6, (n) => n + 1n));

  interface KindIndex {
    names: NameIndex<ListRef>;
    substrings: Scan<string>[];
    regexes: Scan<RegExp>[];
  }
  const kindIndexes = new Map<Kind, KindIndex>();
  function indexOf(kind: Kind): KindIndex {
    let k = kindIndexes.get(kind);
    if (k !== undefined) return k;
    k = { names: new NameIndex<ListRef>(), substrings: [], regexes: [] };
    for (const p of prepared) {
      if (p.type === 'cidr' || !p.kinds.includes(kind)) continue;
      let n = 0;
      if (p.type === 'string' || p.type === 'hostname') {
        for (const e of p.entries) {
          const entry = nameEntry(e, p.type);
          if (entry === null) n++;
          else k.names.add(entry.name, p.list, entry.mode, e);
        }
      } else if (p.type === 'substring') {
        k.substrings.push({ list: p.list, items: p.entries.map((e) => e.trim().toLowerCase()).filter((e) => e !== '') });
      } else {
        const items: RegExp[] = [];
        for (const e of p.entries) {
          try {
            items.push(new RegExp(e, 'i'));
          } catch {
            n++;
          }
        }
        k.regexes.push({ list: p.list, items });
      }
      countBad(p.list.id, n);
    }
    kindIndexes.set(kind, k);
    return k;
  }

  /** Every index, as steps of a few tens of milliseconds each (a server warms up between requests). */
  const warmSteps = (): (() => void)[] => [() => v4(), () => v6(), ...KINDS.map((kind) => () => void indexOf(kind))];

  /** Builds every index now (the report; a caller that may block). */
  function warm(): void {
    for (const step of warmSteps()) step();
  }

  function scanText(kind: Kind, text: string, via: MatchVia, out: Collector): void {
    const index = indexOf(kind);
    for (const s of index.substrings) {
      if (out.has(s.list.id)) continue;
      const found = s.items.find((i) => text.includes(i));
      if (found !== undefined) out.add(s.list, via, found);
    }
    for (const s of index.regexes) {
      if (!out.has(s.list.id) && s.items.some((re) => re.test(text))) out.add(s.list, via);
    }
  }

  function matchName(kind: Kind, name: string, via: MatchVia, out: Collector): void {
    indexOf(kind).names.lookup(name, (e) => out.add(e.list, via, e.entry));
    scanText(kind, name, via, out);
  }

  function matchIp(ip: string, via: MatchVia, out: Collector): boolean {
    const n4 = ipv4ToInt(ip);
    if (n4 !== null) {
      for (const list of v4().find(n4)) out.add(list, via);
      return true;
    }
    const n6 = ipv6ToBigInt(ip);
    if (n6 !== null) {
      for (const list of v6().find(n6)) out.add(list, via);
      // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address for every list.
      if (n6 >> 32n === 0xffffn) {
        for (const list of v4().find(Number(n6 & 0xffffffffn))) out.add(list, via);
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

  return {
    lists: summaries,
    match,
    warm,
    warmSteps,
    get report(): CompileReport {
      warm();
      return { skipped: Object.fromEntries(bad) };
    },
  };
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
