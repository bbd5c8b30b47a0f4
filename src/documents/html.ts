/**
 * HTML to the text `extract()` reads well: the visible text with its lines (one per block
 * element), headings as Markdown headings and list items as `- ` lines, so references sections are
 * found as in a Markdown report; entities decoded by the parser (htmlparser2); every link written
 * as a Markdown link `[text](href)`, so a titled link is still a reference and a "Click here" link
 * an indicator. Targets that are not visible — `src`, `srcset`, form actions, refresh redirects,
 * `<link href>`, URL-valued `data-*` attributes — are written in as `<target>` where they stand.
 * Both kinds are recorded as spans (`html-href`, `html-src`), so each indicator says it came from
 * an attribute. Inline scripts (and `on*` handlers) and comments are parts of their own.
 */
import { Parser } from 'htmlparser2';
import type { DocumentPart, SourceSpan, SpanSource } from './types.ts';

export interface HtmlText {
  parts: DocumentPart[];
  title?: string;
}

/** Elements that start a line of their own. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'caption', 'center', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hgroup', 'hr', 'li', 'main', 'menu', 'nav', 'ol',
  'p', 'pre', 'section', 'summary', 'table', 'tbody', 'tfoot', 'thead', 'tr', 'ul', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'title', 'option', 'legend', 'body', 'html', 'head', 'noscript', 'iframe', 'frameset', 'frame',
]);
const HEADING = /^h([1-6])$/;
/** Elements whose text is whitespace-exact. */
const PREFORMATTED = new Set(['pre', 'textarea', 'listing', 'xmp', 'plaintext']);
/** Attributes that hold where a navigation leads, by element ('*' for any). */
const HREF_ATTRIBUTES: Readonly<Record<string, string>> = { href: 'a area', action: 'form', formaction: 'button input' };
/** Attributes that hold what the page loads. */
const SRC_ATTRIBUTES = new Set(['src', 'data', 'poster', 'background', 'lowsrc', 'dynsrc', 'longdesc', 'codebase', 'archive', 'manifest', 'cite', 'icon', 'profile', 'usemap', 'xlink:href']);
const ABSOLUTE_URL = /^(?:[a-z][a-z0-9+.-]{1,15}:\/\/|\/\/|[a-z0-9.-]+\.[a-z]{2,}\/|mailto:)/i;
const REFRESH_URL = /url\s*=\s*['"]?([^'"\s>]+)/i;
const ASCII_TAB_OR_NEWLINE = /[\t\n\r]/g;
/** Characters that end a URL in text; percent-encoded in a written-in target so the whole target is read. */
const URL_BREAKERS = /[ <>"`{}|^\x00-\x1f\x7f\u00a0]/g;

/** An attribute value as a browser reads a URL: tabs and newlines dropped, ends trimmed; the rest percent-encoded so it stays one token. */
function cleanTarget(raw: string): string {
  return raw
    .trim()
    .replace(ASCII_TAB_OR_NEWLINE, '')
    .replace(URL_BREAKERS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Whether a target is worth writing in: not empty, not a fragment, not inline data or code. */
function isTarget(t: string): boolean {
  return t !== '' && t[0] !== '#' && !/^(?:data|javascript|about|blob|cid):/i.test(t);
}

class TextBuilder {
  private readonly chunks: string[] = [];
  length = 0;
  /** Pending line breaks (0 none, 1 a new line, 2 a blank line). */
  private breaks = 0;
  private space = false;
  private atLineStart = true;

  private push(s: string): void {
    this.chunks.push(s);
    this.length += s.length;
  }
  private flush(): void {
    if (this.length > 0 && this.breaks > 0) {
      this.push(this.breaks > 1 ? '\n\n' : '\n');
      this.atLineStart = true;
      this.space = false;
    } else if (this.space && !this.atLineStart) this.push(' ');
    this.breaks = 0;
    this.space = false;
  }
  /** Text with its white space collapsed (HTML's rendering of normal text). */
  text(s: string): void {
    let start = 0;
    for (let i = 0; i <= s.length; i++) {
      const c = s.charCodeAt(i);
      const ws = c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
      if (i < s.length && !ws) continue;
      if (i > start) {
        this.flush();
        this.push(s.slice(start, i));
        this.atLineStart = false;
      }
      if (i < s.length) this.space = true;
      start = i + 1;
    }
  }
  /** Text as written (preformatted), lines kept. */
  raw(s: string): void {
    if (s === '') return;
    this.flush();
    this.push(s);
    this.atLineStart = s.endsWith('\n');
  }
  /** Markup of our own (`[`, `](`, a heading's `## `): no white space collapsing, no pending space lost. */
  mark(s: string): void {
    this.flush();
    this.push(s);
    this.atLineStart = false;
  }
  spaceBefore(): void {
    if (!this.atLineStart) this.space = true;
  }
  line(blank = false): void {
    this.breaks = Math.max(this.breaks, blank ? 2 : 1);
  }
  toString(): string {
    return this.chunks.join('');
  }
}

/** Reads an HTML text into parts: the visible text with its link spans, scripts and comments. */
export function readHtml(html: string): HtmlText {
  const out = new TextBuilder();
  const spans: SourceSpan[] = [];
  const scripts: string[] = [];
  const comments: string[] = [];
  let title: string | undefined;
  let inTitle = false;
  let titleText = '';
  let skip: string | null = null; // inside <script> or <style>: their text is not visible
  let pre = 0;
  let anchor: { href: string } | null = null;

  const writeTarget = (target: string, source: SpanSource, ownLine: boolean): void => {
    // inside a link's text everything stays on the link's line
    const own = ownLine && anchor === null;
    if (own) out.line();
    else out.spaceBefore();
    out.mark('<');
    const start = out.length;
    out.mark(target);
    spans.push({ start, end: out.length, source });
    out.mark('>');
    if (own) out.line();
    else out.spaceBefore();
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'script' || name === 'style') {
          skip = name;
        }
        if (name === 'title') inTitle = true;
        if (PREFORMATTED.has(name)) pre++;
        const heading = HEADING.exec(name);
        if (anchor !== null) {
          // a link's text stays on one line, or its title would not be read as one
          if (BLOCK.has(name) || name === 'br') out.spaceBefore();
        } else {
          if (BLOCK.has(name)) out.line(heading !== null || name === 'p' || name === 'table' || name === 'pre');
          if (heading) {
            out.mark('#'.repeat(Number(heading[1])));
            out.spaceBefore();
          }
          if (name === 'li') {
            out.mark('-');
            out.spaceBefore();
          }
          if (name === 'br') out.line();
        }
        if (name === 'td' || name === 'th') out.spaceBefore();
        for (const [attr, value] of Object.entries(attribs)) {
          if (attr.startsWith('on') && value.trim() !== '') scripts.push(value);
        }
        if (name === 'a' && anchor === null) {
          const href = cleanTarget(attribs.href ?? '');
          if (isTarget(href)) {
            anchor = { href };
            out.spaceBefore();
            out.mark('[');
          }
        }
        const navigations = Object.entries(HREF_ATTRIBUTES).filter(([attr, tags]) => attr in attribs && tags.split(' ').includes(name) && !(name === 'a' && attr === 'href'));
        for (const [attr] of navigations) {
          const target = cleanTarget(attribs[attr] as string);
          if (isTarget(target)) writeTarget(target, 'html-href', name === 'form');
        }
        if (name === 'meta' && (attribs['http-equiv'] ?? '').toLowerCase() === 'refresh') {
          const url = REFRESH_URL.exec(attribs.content ?? '')?.[1];
          if (url) writeTarget(cleanTarget(url), 'html-href', true);
        }
        if ((name === 'link' || name === 'base') && attribs.href) {
          const target = cleanTarget(attribs.href);
          if (isTarget(target)) writeTarget(target, 'html-src', true);
        }
        for (const [attr, value] of Object.entries(attribs)) {
          const isSrc = SRC_ATTRIBUTES.has(attr) || (attr.startsWith('data-') && ABSOLUTE_URL.test(value.trim()));
          if (isSrc) {
            const target = cleanTarget(value);
            if (isTarget(target)) writeTarget(target, 'html-src', name === 'script' || name === 'iframe' || name === 'frame' || name === 'embed' || name === 'object');
          } else if (attr === 'srcset' || attr === 'imagesrcset') {
            for (const candidate of value.split(',')) {
              const target = cleanTarget(candidate.trim().split(/\s+/)[0] ?? '');
              if (isTarget(target)) writeTarget(target, 'html-src', false);
            }
          }
        }
      },
      ontext(text) {
        if (skip === 'script') {
          scripts.push(text);
          return;
        }
        if (skip !== null) return;
        if (inTitle) titleText += text;
        if (pre > 0) out.raw(anchor ? text.replace(/\r?\n/g, ' ') : text);
        else out.text(text);
      },
      onclosetag(name) {
        if (name === skip) {
          skip = null;
          if (name === 'script') scripts.push('\n');
        }
        if (name === 'title') {
          inTitle = false;
          title ??= titleText.replace(/\s+/g, ' ').trim() || undefined;
        }
        if (PREFORMATTED.has(name) && pre > 0) pre--;
        if (name === 'a' && anchor !== null) {
          out.mark('](');
          const start = out.length;
          out.mark(anchor.href);
          spans.push({ start, end: out.length, source: 'html-href' });
          out.mark(')');
          out.spaceBefore();
          anchor = null;
        }
        if (BLOCK.has(name)) {
          if (anchor !== null) out.spaceBefore();
          else out.line(HEADING.test(name) || name === 'p' || name === 'table' || name === 'pre');
        }
        if (name === 'td' || name === 'th') out.spaceBefore();
      },
      oncomment(data) {
        if (data.trim() !== '') comments.push(data.trim());
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);

  const parts: DocumentPart[] = [{ text: out.toString(), source: 'html-text', spans }];
  const script = scripts.join('\n').trim();
  if (script !== '') parts.push({ text: script, source: 'html-script' });
  if (comments.length > 0) parts.push({ text: comments.join('\n'), source: 'html-comment' });
  const result: HtmlText = { parts };
  if (title !== undefined) result.title = title;
  return result;
}
