/**
 * A PDF's text runs to the lines `extract()` reads well, page by page. Pure: the PDF library's
 * text items come in (pdf.ts), page texts go out.
 *
 * - Runs become lines by their baseline; a gap between runs wider than a fraction of the font
 *   size becomes a space.
 * - Ligature glyphs (`ﬁ`, `ﬂ`, …) are spelled out; soft hyphens and zero-width spaces (line-break
 *   hints in URLs) are removed; a word broken at a soft hyphen at a line's end is joined again.
 * - Running headers and footers (a line at the top or bottom of most pages, page numbers aside)
 *   are kept on the first page they appear on and dropped from the others; lone page numbers go.
 * - A URL or domain broken across two lines is joined back when the break is plain: the line ends
 *   inside a URL at a character a URL breaks after (`/`, `-`, `.`, `?`, `=`, `&`, …) or at the
 *   right margin, and the next line starts with URL characters that read as its rest (a path, a
 *   query, a label and a top-level domain) rather than a word of prose. CVE ids broken after a dash
 *   are left to `extract()`, which reads them across the line break.
 */
import { refang } from '../indicators/index.ts';
import { normalizeHost } from '../indicators/index.ts';

/** One text run as the PDF library gives it, in page space (points, y upwards). */
export interface TextRun {
  str: string;
  x: number;
  y: number;
  width: number;
  /** Font size (the run's height). */
  size: number;
  /** The library saw a line end after this run. */
  eol: boolean;
}

export interface PdfLine {
  text: string;
  /** Where the line's last run ends (points). */
  right: number;
  size: number;
}

/** Below this share of the font size, a gap between two runs is kerning, not a space. */
const SPACE_GAP = 0.2;

/** Lines of a page from its runs, in the order the page draws them. */
export function pageLines(runs: readonly TextRun[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let text = '';
  let y = NaN;
  let right = -Infinity;
  let size = 0;
  let breakNext = false;
  const close = (): void => {
    if (text.trim() !== '') lines.push({ text: text.trimEnd(), right, size });
    text = '';
    right = -Infinity;
    size = 0;
  };
  for (const run of runs) {
    const h = run.size > 0 ? run.size : 10;
    if (run.str === '') {
      if (run.eol) breakNext = true;
      continue;
    }
    const newLine = breakNext || Number.isNaN(y) || Math.abs(run.y - y) > h * 0.5;
    if (newLine) {
      close();
      y = run.y;
    } else {
      const gap = run.x - right;
      if (gap > h * SPACE_GAP && !text.endsWith(' ') && !run.str.startsWith(' ')) text += ' ';
    }
    text += run.str;
    right = Math.max(right, run.x + run.width);
    size = Math.max(size, h);
    breakNext = run.eol;
  }
  close();
  return lines;
}

const LIGATURES: Readonly<Record<string, string>> = { '\ufb00': 'ff', '\ufb01': 'fi', '\ufb02': 'fl', '\ufb03': 'ffi', '\ufb04': 'ffl', '\ufb05': 'st', '\ufb06': 'st' };
const LIGATURE = /[\ufb00-\ufb06]/g;
/** Zero-width spaces and joiners, word joiner, BOM: invisible, and they break a URL in two. */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;
const SOFT_HYPHEN = '\u00ad';

/** A line's text with ligatures spelled out and invisible characters removed; a soft hyphen at its end kept (the caller joins). */
export function cleanLine(text: string): string {
  let s = text.replace(LIGATURE, (c) => LIGATURES[c] as string).replace(INVISIBLE, '');
  const endsSoft = s.endsWith(SOFT_HYPHEN);
  if (s.includes(SOFT_HYPHEN)) s = s.replaceAll(SOFT_HYPHEN, '');
  return endsSoft ? `${s}${SOFT_HYPHEN}` : s;
}

// ---- running headers and footers ----------------------------------------------------------
/** How many lines at the top and at the bottom of a page may be a running header or footer. */
const EDGE_LINES = 2;
const PAGE_NUMBER = /^[\s\-–—|.•]*(?:(?:page|p\.|seite|strona|página|pagina)\s*)?\d{1,4}(?:\s*(?:of|\/|von|z|de|di)\s*\d{1,4})?[\s\-–—|.•]*$/i;

function edgeKey(line: string): string {
  return line.replace(/\d+/g, '#').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Indices of the lines of each page that are running headers or footers repeated from an earlier page, or lone page numbers. */
function runningLines(pages: readonly (readonly string[])[]): Set<number>[] {
  const drop = pages.map(() => new Set<number>());
  if (pages.length < 2) return drop;
  const edges = (lines: readonly string[]): number[] => {
    const out = new Set<number>();
    for (let i = 0; i < Math.min(EDGE_LINES, lines.length); i++) out.add(i);
    for (let i = Math.max(0, lines.length - EDGE_LINES); i < lines.length; i++) out.add(i);
    return [...out];
  };
  const pagesWith = new Map<string, number>();
  pages.forEach((lines) => {
    const seen = new Set<string>();
    for (const i of edges(lines)) seen.add(edgeKey(lines[i] as string));
    for (const key of seen) pagesWith.set(key, (pagesWith.get(key) ?? 0) + 1);
  });
  // a line at the edge of at least half the pages (and of two at least) runs through the document
  const needed = Math.max(2, Math.ceil(pages.length / 2));
  const kept = new Set<string>();
  pages.forEach((lines, p) => {
    for (const i of edges(lines)) {
      const line = lines[i] as string;
      if (PAGE_NUMBER.test(line)) {
        drop[p]!.add(i);
        continue;
      }
      const key = edgeKey(line);
      if ((pagesWith.get(key) ?? 0) < needed || key === '') continue;
      if (kept.has(key)) drop[p]!.add(i);
      else kept.add(key);
    }
  });
  return drop;
}

// ---- URLs and domains broken across lines -------------------------------------------------
/** Characters a URL may hold (as written in a document; defanged brackets included). */
const URL_TOKEN = /^[A-Za-z0-9._~%/?#=&+:@!$*;\-[\]()]+$/;
/** A URL breaks after these at a line's end and the line goes on with its rest. */
const BREAK_AFTER = /[/\-_=&?%#~+:]$/;
/** After these, a URL hardly ever ends in prose: the break is inside it even without a URL character on the next line. */
const STRONG_BREAK_AFTER = /[-_=&?%]$/;
/** The rest of a URL: holds a path, query or label character, or a dot between two characters. */
const URL_REST = /[/=?&%_#]|[A-Za-z0-9]\.[A-Za-z0-9]/;
const STARTS_AS_REST = /^[/?#=&.%_-]/;
const HAS_SCHEME = /^(?:[a-z][a-z0-9+.-]{1,9}):\/\//i;
/** How close to the right margin (in font sizes) a line ends when it was broken for lack of room. */
const MARGIN_SLACK = 2.5;

/** The host of a refanged URL-ish token, or the token when it has no scheme. */
function hostOf(token: string): string {
  const afterScheme = HAS_SCHEME.test(token) ? token.slice(token.indexOf('://') + 3) : token;
  const end = afterScheme.search(/[/?#]/);
  const hostPort = end === -1 ? afterScheme : afterScheme.slice(0, end);
  const at = hostPort.lastIndexOf('@');
  const host = at === -1 ? hostPort : hostPort.slice(at + 1);
  const colon = host.lastIndexOf(':');
  return colon > 0 && !host.includes(']') ? host.slice(0, colon) : host;
}

/**
 * Whether the line break between `line` and `next` falls inside a URL or a domain name: joined,
 * the last word of `line` and the first of `next` are one indicator.
 */
export function breaksInsideUrl(line: string, next: string, full: boolean): boolean {
  const lastSpace = line.lastIndexOf(' ');
  const tail = line.slice(lastSpace + 1);
  const firstSpace = next.search(/\s/);
  // the first word of the next line, without the punctuation of the sentence it ends
  const head = (firstSpace === -1 ? next : next.slice(0, firstSpace)).replace(/[.,;:!?)'"]+$/, '');
  if (tail === '' || head === '' || !URL_TOKEN.test(head) || !URL_TOKEN.test(tail.replace(/^[("'<[]+/, ''))) return false;
  const before = refang(tail.replace(/^[("'<]+/, ''));
  const rest = refang(head);
  if (rest === '') return false;
  if (HAS_SCHEME.test(before)) {
    if (STARTS_AS_REST.test(rest)) return true;
    if (BREAK_AFTER.test(before)) return URL_REST.test(rest) || (STRONG_BREAK_AFTER.test(before) && full);
    if (before.endsWith('.')) return full && URL_REST.test(rest) && /^[a-z0-9]/.test(rest);
    // broken inside a word for lack of room: the next line must read as the URL's rest
    return full && URL_REST.test(rest);
  }
  // A domain broken after a hyphen or a dot: joined, it must be a valid name (its rest a name too).
  if (!before.endsWith('-') && !before.endsWith('.')) return false;
  if (!/^[a-z0-9]/.test(rest) || !/[A-Za-z0-9]\.[A-Za-z]/.test(before + rest)) return false;
  const host = hostOf(before + rest);
  return host.includes('.') && normalizeHost(host).ok && (before.endsWith('-') ? normalizeHost(hostOf(rest)).ok : true);
}

/**
 * The text of each page: lines cleaned, running headers and footers dropped, broken URLs joined.
 * Pages are given as their lines; the right margin of a page is where most of its long lines end.
 */
export function pageTexts(pages: readonly (readonly PdfLine[])[]): string[] {
  const cleaned = pages.map((lines) => lines.map((l) => cleanLine(l.text)));
  const drop = runningLines(cleaned);
  return pages.map((lines, p) => {
    const texts = cleaned[p] as string[];
    const kept: { text: string; full: boolean }[] = [];
    const margin = rightMargin(lines);
    texts.forEach((text, i) => {
      if (drop[p]!.has(i)) return;
      const line = lines[i] as PdfLine;
      kept.push({ text, full: line.right >= margin - MARGIN_SLACK * line.size });
    });
    let out = '';
    kept.forEach((line, i) => {
      const next = kept[i + 1];
      if (line.text.endsWith(SOFT_HYPHEN)) {
        out += line.text.slice(0, -1);
        if (next === undefined) out += '\n';
        return;
      }
      out += line.text;
      if (next !== undefined && breaksInsideUrl(line.text, next.text, line.full)) return;
      if (next !== undefined) out += '\n';
    });
    return out;
  });
}

/** Where the long lines of a page end: the right margin of its text (the 90th percentile of line ends). */
function rightMargin(lines: readonly PdfLine[]): number {
  const ends = lines.filter((l) => l.text.length >= 20).map((l) => l.right).sort((a, b) => a - b);
  if (ends.length === 0) return Infinity;
  return ends[Math.min(ends.length - 1, Math.floor(ends.length * 0.9))] as number;
}
