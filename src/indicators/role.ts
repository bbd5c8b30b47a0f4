/**
 * The role of an extracted link: `indicator` (what the text is about — the attacker's
 * infrastructure, a phishing link) or `reference` (a source the text cites). A URL, domain or
 * email address is a reference when
 *   - its host is on the shipped list of reference sites (data/reference-sites.json: ATT&CK, NVD,
 *     CVE.org, CISA, vendor advisories, VirusTotal/abuse.ch report pages, GitHub, …);
 *   - it stands in a references or sources section of the text;
 *   - it is the target of a Markdown or HTML link whose text is a title (`[our analysis](…)`),
 *     or a Markdown link definition (`[1]: https://…`).
 * A defanged link is always an indicator: nobody defangs what they cite. Nothing is dropped;
 * callers filter on the role. Other types (addresses, hashes, CVE and ATT&CK ids) are indicators.
 */
import { readFileSync } from 'node:fs';
import { CALL_TO_ACTION_WORDS, REFERENCE_HEADINGS } from './rules.ts';

export const INDICATOR_ROLES = ['indicator', 'reference'] as const;
export type IndicatorRole = (typeof INDICATOR_ROLES)[number];

// ---- reference sites ----------------------------------------------------------------------
interface ReferenceSite {
  host: string;
  subdomains: boolean;
  /** For a URL: the path must start with one of these (null: any path). */
  paths: readonly string[] | null;
  /** For a URL: a path containing one of these is not a reference (a file served for download). */
  notPaths: readonly string[];
}

/** The list of reference sites, compiled for lookups by host. */
export interface ReferenceSites {
  readonly byHost: ReadonlyMap<string, readonly ReferenceSite[]>;
}

const HOST = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

function stringList(v: unknown, what: string): string[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || !v.every((p) => typeof p === 'string' && p !== '')) throw new Error(`${what}: expected a list of non-empty strings`);
  return v as string[];
}

/** Compiles the reference-site list (the shape of data/reference-sites.json); throws naming what is wrong. */
export function compileReferenceSites(data: unknown, source = 'reference sites'): ReferenceSites {
  const sites = (data as { sites?: unknown } | null)?.sites;
  if (!Array.isArray(sites)) throw new Error(`${source}: expected an object with a "sites" list`);
  const byHost = new Map<string, ReferenceSite[]>();
  sites.forEach((raw: unknown, i) => {
    const s = raw as Record<string, unknown> | null;
    const where = `${source}: sites[${i}]`;
    if (typeof s?.host !== 'string' || !HOST.test(s.host)) throw new Error(`${where}: "host" must be a lower-case host name`);
    if (s.subdomains !== undefined && typeof s.subdomains !== 'boolean') throw new Error(`${where}: "subdomains" must be true or false`);
    const site: ReferenceSite = {
      host: s.host,
      subdomains: s.subdomains === true,
      paths: stringList(s.paths, `${where}.paths`),
      notPaths: stringList(s.notPaths, `${where}.notPaths`) ?? [],
    };
    const list = byHost.get(site.host) ?? [];
    list.push(site);
    byHost.set(site.host, list);
  });
  return { byHost };
}

const SITES_FILE = new URL('../../data/reference-sites.json', import.meta.url);
let shipped: ReferenceSites | null = null;

/** The shipped list (data/reference-sites.json), read and compiled once, on first use. */
export function shippedReferenceSites(): ReferenceSites {
  if (shipped === null) {
    let text: string;
    try {
      text = readFileSync(SITES_FILE, 'utf8');
    } catch (cause) {
      throw new Error(`cannot read the reference-site list ${SITES_FILE.pathname}: ${(cause as Error).message}`, { cause });
    }
    shipped = compileReferenceSites(JSON.parse(text) as unknown, SITES_FILE.pathname);
  }
  return shipped;
}

/** Whether `host` (canonical) with the URL path `path` (null for a bare domain or an address) is a reference site. */
export function isReferenceSite(sites: ReferenceSites, host: string, path: string | null): boolean {
  let h = host;
  let exact = true;
  for (;;) {
    for (const site of sites.byHost.get(h) ?? []) {
      if (!exact && !site.subdomains) continue;
      if (path === null) return true;
      if (site.paths !== null && !site.paths.some((p) => path.startsWith(p))) continue;
      if (site.notPaths.some((p) => path.includes(p))) continue;
      return true;
    }
    const dot = h.indexOf('.');
    if (dot === -1) return false;
    h = h.slice(dot + 1);
    exact = false;
  }
}

// ---- references sections ------------------------------------------------------------------
const escapeWord = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const HEADING_WORDS = [...REFERENCE_HEADINGS].sort((a, b) => b.length - a.length).map(escapeWord).join('|');
/**
 * A line that opens a references section: the heading alone (Markdown `#`, bold, numbered, an
 * HTML heading, a trailing colon) or the heading with a colon and the first references after it.
 */
const SECTION_HEADING = new RegExp(
  String.raw`(?:^|\n)[ \t]*(?:#{1,6}[ \t]*|>[ \t]*)?(?:<[a-z][^>\n]{0,40}>[ \t]*)*[*_]{0,3}(?:(?:\d{1,2}|[IVX]{1,5})[.)][ \t]+)?(${HEADING_WORDS})[*_]{0,3}(?:<\/[a-z0-9]{1,6}>)*[ \t]*(:?)[*_]{0,3}(?:<\/[a-z0-9]{1,6}>)*[ \t]*([^\n]*)`,
  'giu',
);
const MARKDOWN_HEADING = /^[ \t]{0,3}#{1,6}[ \t]/;
const RULE_LINE = /^[ \t]*(?:-{3,}|={3,}|\*{3,}|_{3,})[ \t]*$/;
const HTML_HEADING = /^[ \t]*<h[1-6][\s>]/i;
const LIST_OR_INDENTED = /^(?:[ \t]+\S|[ \t]*(?:[-*+•]|\d{1,3}[.)]|\[\d{1,3}\])[ \t])/;

/** Whether a line ends the section above it: another heading, a rule, or a short `label:` line. */
function endsSection(line: string): boolean {
  if (MARKDOWN_HEADING.test(line) || RULE_LINE.test(line) || HTML_HEADING.test(line)) return true;
  const t = line.trim();
  return t.length > 0 && t.length <= 60 && t.endsWith(':') && !t.includes('://') && !LIST_OR_INDENTED.test(line);
}

/**
 * The references sections of a text, as sorted, non-overlapping `[start, end)` offset pairs
 * (flat). A heading-only line opens a section that runs to the next heading, rule or `label:`
 * line; a `References: …` line covers itself and the list or indented lines right after it.
 */
export function referenceSections(text: string): number[] {
  const out: number[] = [];
  const re = new RegExp(SECTION_HEADING);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const headingEnd = m.index + m[0].length;
    const rest = (m[3] ?? '').trim();
    // "Sources of the data" or "Links between the groups" is prose, not a heading.
    if (rest !== '' && m[2] !== ':') continue;
    const start = m[0].startsWith('\n') ? m.index + 1 : m.index;
    let end = headingEnd;
    let pos = headingEnd < text.length ? headingEnd + 1 : headingEnd;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      const lineEnd = nl === -1 ? text.length : nl;
      const line = text.slice(pos, lineEnd);
      if (rest === '') {
        if (endsSection(line)) break;
      } else if (!LIST_OR_INDENTED.test(line)) break;
      end = lineEnd;
      pos = lineEnd + 1;
    }
    out.push(start, end);
    re.lastIndex = Math.max(re.lastIndex, end);
  }
  return out;
}

/** Whether `pos` lies in one of the `[start, end)` pairs (sorted, flat). */
export function inSections(sections: readonly number[], pos: number): boolean {
  let lo = 0;
  let hi = sections.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (pos < (sections[2 * mid] as number)) hi = mid - 1;
    else if (pos >= (sections[2 * mid + 1] as number)) lo = mid + 1;
    else return true;
  }
  return false;
}

// ---- links whose text is a title ----------------------------------------------------------
const CTA = new RegExp(`(?<![\\p{L}\\p{N}])(?:${[...CALL_TO_ACTION_WORDS].map(escapeWord).join('|')})(?![\\p{L}\\p{N}])`, 'iu');
const LINK_DEFINITION = /^[ \t]{0,3}\[[^\]\n]{1,80}\]:[ \t]*<?$/;
const HREF_BEFORE = /href[ \t]*=[ \t]*["']?$/i;
const TAGS = /<[^>]*>/g;
const HOST_LIKE = /^[^\s]+\.[a-z]{2,}\S*$/i;

/** A link text that names a document (a title, a footnote number), not an address or a call to action. */
function isTitle(raw: string): boolean {
  const t = raw.replace(TAGS, ' ').replace(/\s+/g, ' ').trim();
  if (t === '' || t.includes('://') || HOST_LIKE.test(t) || t.includes('@')) return false;
  return !CTA.test(t);
}

/**
 * Whether the URL at `[start, end)` is the target of a Markdown link `[title](url)` or an HTML
 * link `<a href="url">title</a>` whose text is a title, or of a Markdown definition `[1]: url`.
 */
export function isTitledLink(text: string, start: number, end: number): boolean {
  if (text[start - 1] === '(' && text[start - 2] === ']') {
    // the `[` of the link text, on the same line and at most 300 characters back
    let open = start - 3;
    while (open >= 0 && open > start - 300 && text[open] !== '[' && text[open] !== '\n') open--;
    if (open < 0 || text[open] !== '[' || text[open - 1] === '!') return false;
    return isTitle(text.slice(open + 1, start - 2));
  }
  if (text[start - 1] === ' ' || text[start - 1] === '\t' || text[start - 1] === ':' || text[start - 1] === '<') {
    let ls = start - 1;
    while (ls >= 0 && ls > start - 90 && text[ls] !== '\n') ls--;
    if ((ls < 0 || text[ls] === '\n') && LINK_DEFINITION.test(text.slice(ls + 1, start))) return true;
  }
  const b = text[start - 1];
  if ((b === '"' || b === "'" || b === '=') && HREF_BEFORE.test(text.slice(Math.max(0, start - 12), start))) {
    const gt = text.slice(end, end + 400).indexOf('>');
    if (gt === -1) return false;
    const tagEnd = end + gt;
    const close = text.slice(tagEnd + 1, tagEnd + 400).search(/<\/a\s*>/i);
    if (close === -1) return false;
    return isTitle(text.slice(tagEnd + 1, tagEnd + 1 + close));
  }
  return false;
}
