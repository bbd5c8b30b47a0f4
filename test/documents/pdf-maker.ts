/**
 * Writes small PDFs by hand (PDF 1.7 syntax, Helvetica, Flate-compressed page contents) for the
 * document tests and the extraction benchmark: pages of lines, optionally justified word by word
 * as word processors place them, ligature glyphs, soft hyphens, link annotations and an
 * information dictionary. Made here, from nothing but the PDF reference.
 */
import { deflateSync } from 'node:zlib';

export interface PdfLineSpec {
  text: string;
  /** Place each word on its own, spread so that the line ends at the right margin (a justified line). */
  justify?: boolean;
}

export interface PdfLinkSpec {
  /** The target URI. */
  uri: string;
  /** The line (index on the page) the link covers; the whole line's width. */
  line: number;
}

export interface PdfPageSpec {
  lines: (string | PdfLineSpec)[];
  links?: PdfLinkSpec[];
}

export interface PdfSpec {
  pages: (string[] | PdfPageSpec)[];
  info?: Record<string, string>;
  fontSize?: number;
}

const LEFT = 72;
const RIGHT = 540;
const TOP = 740;
/** Codes of the ligature font (a /Differences encoding naming the ligature glyphs). */
const LIGATURE_CODES: Readonly<Record<string, number>> = { '\ufb01': 1, '\ufb02': 2, '\ufb00': 3 };
/** WinAnsiEncoding codes of the characters outside Latin-1 that reports use. */
const WIN_ANSI: Readonly<Record<string, number>> = { '\u2013': 0x96, '\u2014': 0x97, '\u2019': 0x92, '\u201c': 0x93, '\u201d': 0x94, '\u2022': 0x95, '\u20ac': 0x80 };

function pdfString(bytes: number[]): string {
  return `(${bytes.map((b) => (b === 0x28 || b === 0x29 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b < 32 || b > 126 ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b))).join('')})`;
}

/** A run of text as show-text operators, switching to the ligature font for ligature glyphs. */
function showText(text: string, size: number): string {
  const ops: string[] = [];
  let font = 'F1';
  let run: number[] = [];
  const flush = (): void => {
    if (run.length > 0) ops.push(`${pdfString(run)} Tj`);
    run = [];
  };
  for (const ch of text) {
    const lig = LIGATURE_CODES[ch];
    const want = lig !== undefined ? 'F2' : 'F1';
    if (want !== font) {
      flush();
      ops.push(`/${want} ${size} Tf`);
      font = want;
    }
    const code = lig ?? WIN_ANSI[ch] ?? ch.charCodeAt(0);
    run.push(code <= 0xff ? code : 0x3f);
  }
  flush();
  if (font !== 'F1') ops.push(`/F1 ${size} Tf`);
  return ops.join(' ');
}

/** About the width of a text in Helvetica (half an em a character): for spreading the words of a justified line. */
const approxWidth = (s: string, size: number): number => s.length * size * 0.52;

function pageContent(lines: (string | PdfLineSpec)[], size: number): string {
  const leading = size * 1.4;
  const ops: string[] = [];
  lines.forEach((spec, i) => {
    const line = typeof spec === 'string' ? { text: spec } : spec;
    const y = TOP - i * leading;
    const words = line.text.split(' ');
    if (!line.justify || words.length < 2) {
      ops.push(`BT /F1 ${size} Tf ${LEFT} ${y.toFixed(2)} Td ${showText(line.text, size)} ET`);
      return;
    }
    const natural = words.reduce((n, w) => n + approxWidth(w, size), 0);
    const gap = (RIGHT - LEFT - natural) / (words.length - 1);
    let x = LEFT;
    for (const w of words) {
      ops.push(`BT /F1 ${size} Tf ${x.toFixed(2)} ${y.toFixed(2)} Td ${showText(w, size)} ET`);
      x += approxWidth(w, size) + gap;
    }
  });
  return ops.join('\n');
}

/** A PDF file of the given pages. */
export function makePdf(spec: PdfSpec): Buffer {
  const size = spec.fontSize ?? 10;
  const objects: (string | Buffer)[] = [];
  const add = (body: string | Buffer): number => objects.push(body);
  const catalog = add('');
  const pagesObj = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const ligatures = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 /fi /fl /ff] >> >>');
  const kids: number[] = [];
  for (const raw of spec.pages) {
    const page: PdfPageSpec = Array.isArray(raw) ? { lines: raw } : raw;
    const content = deflateSync(Buffer.from(pageContent(page.lines, size), 'latin1'));
    const stream = Buffer.concat([Buffer.from(`<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'), content, Buffer.from('\nendstream', 'latin1')]);
    const contentObj = add(stream);
    const annots = (page.links ?? []).map((link) => {
      const y = TOP - link.line * size * 1.4;
      const uri = pdfString([...Buffer.from(link.uri, 'latin1')]);
      return add(`<< /Type /Annot /Subtype /Link /Rect [${LEFT} ${(y - size * 0.3).toFixed(2)} ${RIGHT} ${(y + size).toFixed(2)}] /Border [0 0 0] /A << /S /URI /URI ${uri} >> >>`);
    });
    const annotsEntry = annots.length > 0 ? ` /Annots [${annots.map((a) => `${a} 0 R`).join(' ')}]` : '';
    kids.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R /F2 ${ligatures} 0 R >> >> /Contents ${contentObj} 0 R${annotsEntry} >>`));
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
  objects[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  let info = 0;
  if (spec.info) info = add(`<< ${Object.entries(spec.info).map(([k, v]) => `/${k} ${pdfString([...Buffer.from(v, 'latin1')])}`).join(' ')} >>`);

  const chunks: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'latin1') : body, Buffer.from('\nendobj\n', 'latin1')]);
    chunks.push(obj);
    offset += obj.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  const trailer = `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${info ? ` /Info ${info} 0 R` : ''} >>\nstartxref\n${offset}\n%%EOF\n`;
  chunks.push(Buffer.from(xref + trailer, 'latin1'));
  return Buffer.concat(chunks);
}
