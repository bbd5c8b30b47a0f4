/**
 * Whole-process figures of `verdict extract`, the built command (`bin/verdict.js` → dist/) as a
 * user runs it, start-up included; run by `npm run bench:extract` after its in-process figures,
 * or alone: `npx tsx bench/documents.ts [--runs N] [--no-memory]`.
 *   1. `verdict extract --unique FILE` (each value once, as ioc-extractor prints them) on a 10 MB
 *      text vs ioc-extractor's own command on the same text (stdin), runs taking turns, median
 *      wall time of each and the ratio (goal ≥ 2×); also the default output (every occurrence with
 *      its offsets);
 *   2. a 30-page PDF report (generated: prose, indicators, running headers, link annotations):
 *      readDocument + extractFromDocument in this process (first call, with pdf.js loading, and
 *      warm), and the whole command (goal < 2 s);
 *   3. peak RSS of the command on 50 MB files: a log, a mixed-script text, a message with a large
 *      attachment, a PDF with a large embedded image (goal < 300 MB).
 * Documents are generated in a temporary folder and removed afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { extractFromDocument, readDocument } from '../src/documents/index.ts';
import { makePdf, type PdfPageSpec } from '../test/documents/pdf-maker.ts';
import { corpusText, loadCorpus } from '../test/indicators/corpus.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'verdict.js');
const IOC_BIN = join(ROOT, 'node_modules', 'ioc-extractor', 'dist', 'bin', 'ioc-extractor.mjs');
/** Preloaded into a measured process: reports its peak RSS (KiB) and CPU time (µs) as it exits. */
const USAGE = `data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('\\nusage '+u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime)+'\\n')})`;

interface Run {
  seconds: number;
  rssMb: number;
  cpuSeconds: number;
}

/** Runs `node [args]` with stdin from `input` (or none), stdout discarded; wall time, peak RSS, CPU time. */
function measure(args: string[], input?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, ['--import', USAGE, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000;
      const m = /usage (\d+) (\d+)/.exec(stderr);
      if (code !== 0 || !m) reject(new Error(`${args.join(' ')}: exit code ${code}\n${stderr.slice(0, 2000)}`));
      else resolve({ seconds, rssMb: Number(m[1]) / 1024, cpuSeconds: Number(m[2]) / 1e6 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}


/** A 30-page report: each page about 45 lines of the corpus's prose, with a running header and footer and a link on every third page. */
function reportPdf(pages: number): Buffer {
  const lines = loadCorpus()
    .flatMap((d) => d.text.split('\n'))
    .map((l) => l.replace(/[^\x20-\x7e]/g, ' ').trimEnd())
    .filter((l) => l.trim() !== '')
    .flatMap((l) => (l.match(/.{1,95}(\s|$)|.{95}/g) ?? []).map((s) => s.trim()));
  const specs: PdfPageSpec[] = [];
  for (let p = 0; p < pages; p++) {
    const body = Array.from({ length: 45 }, (_, i) => lines[(p * 45 + i) % lines.length] as string);
    const spec: PdfPageSpec = { lines: ['ACME Threat Research | Operation Paper Lantern | TLP:CLEAR', ...body, `Page ${p + 1} of ${pages}`] };
    if (p % 3 === 0) spec.links = [{ uri: `https://portal.example-share.click/doc/${p}`, line: 5 }];
    specs.push(spec);
  }
  return makePdf({ pages: specs, info: { Title: 'Operation Paper Lantern', Producer: 'Verdict benchmark' } });
}

/** A PDF of `bytes` or more: a few pages of text and one large incompressible image stream. */
function largePdf(bytes: number): Buffer {
  const base = makePdf({ pages: [['Report with a large embedded image', 'C2 evil.example.com 198.51.100.7']] });
  // an unreferenced stream object before the trailer: pdf.js skips it, as a reader skips an image it does not draw
  const image = Buffer.alloc(bytes);
  let seed = 1;
  for (let i = 0; i < image.length; i += 4) image.writeUInt32LE((seed = (seed * 1664525 + 1013904223) >>> 0), i);
  const text = base.toString('latin1');
  const cut = text.lastIndexOf('xref');
  const obj = Buffer.concat([Buffer.from(`999 0 obj\n<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray /Length ${image.length} >>\nstream\n`, 'latin1'), image, Buffer.from('\nendstream\nendobj\n', 'latin1')]);
  // the xref offsets of the objects before the cut stay right; pdf.js finds the trailer from startxref
  const tail = Buffer.from(text.slice(cut), 'latin1');
  const startxref = cut + obj.length;
  const fixedTail = Buffer.from(tail.toString('latin1').replace(/startxref\n\d+/, `startxref\n${startxref}`), 'latin1');
  return Buffer.concat([base.subarray(0, cut), obj, fixedTail]);
}

/** A message of `bytes` or more: a short body and one large binary attachment, base64. */
function largeMessage(bytes: number): Buffer {
  const attachment = deflateSync(Buffer.alloc(Math.ceil(bytes * 0.74), 7), { level: 0 });
  const b64 = attachment.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: "Payroll" <payroll@hr-portal.example.ws>',
      'Received: from smtp.attacker-mailer.example.ws ([203.0.113.200]) by mx1.victim-corp.example; Mon, 04 Mar 2024 18:02:11 +0000',
      'Subject: Salary table',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'The table is attached; also at https://hr-portal.example.ws/salary.xlsx',
      '--b',
      'Content-Type: application/octet-stream; name="salary.bin"',
      'Content-Disposition: attachment; filename="salary.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      b64,
      '--b--',
      '',
    ].join('\r\n'),
  );
}

export async function runDocumentBench(options: { runs?: number; memory?: boolean } = {}): Promise<void> {
  const runs = options.runs ?? 5;
  console.log('\nWhole process (the built command, start-up included); building dist/ first:');
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) console.log('  (the build reported errors; measuring what it wrote to dist/)');
  const dir = mkdtempSync(join(tmpdir(), 'verdict-bench-documents-'));
  try {
    // ---- 1. 10 MB text: verdict extract FILE vs ioc-extractor's command -------------------
    const ten = join(dir, 'report-10mb.txt');
    const tenText = Buffer.from(corpusText(10 * 1024 * 1024));
    writeFileSync(ten, tenText);
    // ioc-extractor prints each distinct value once, by type; `--unique` is Verdict's like output.
    // The default output also gives every occurrence with its offsets (~19 MB of JSON here).
    const contenders: [string, () => Promise<Run>][] = [
      ['verdict extract --unique FILE', () => measure([BIN, 'extract', '--unique', ten])],
      ['verdict extract FILE (every occurrence)', () => measure([BIN, 'extract', ten])],
      ['ioc-extractor < FILE (its defaults)', () => measure([IOC_BIN], tenText)],
    ];
    const IOC = contenders.length - 1;
    for (const [, fn] of contenders) await fn(); // warm-up: page cache
    const results = contenders.map(() => [] as Run[]);
    for (let r = 0; r < runs; r++) for (const [i, [, fn]] of contenders.entries()) results[i]!.push(await fn());
    console.log(`  10 MB text (the corpus, digits varied per copy), median of ${runs} runs taking turns (${availableParallelism()} cores):`);
    const wall = results.map((rs) => median(rs.map((x) => x.seconds)));
    const cpu = results.map((rs) => median(rs.map((x) => x.cpuSeconds)));
    for (const [i, [name]] of contenders.entries()) {
      const rs = results[i]!;
      const ratio = i === IOC ? '' : `  ratio ${(wall[IOC]! / wall[i]!).toFixed(2)}× wall, ${(cpu[IOC]! / cpu[i]!).toFixed(2)}× CPU`;
      console.log(`    ${name.padEnd(42)} ${wall[i]!.toFixed(2).padStart(6)} s wall (${Math.min(...rs.map((x) => x.seconds)).toFixed(2)}–${Math.max(...rs.map((x) => x.seconds)).toFixed(2)})  CPU ${cpu[i]!.toFixed(2)} s  peak RSS ${median(rs.map((x) => x.rssMb)).toFixed(0)} MB${ratio}`);
    }
    console.log(`    ratio ioc-extractor / verdict extract --unique FILE: ${(wall[IOC]! / wall[0]!).toFixed(2)}× wall (goal ≥ 2×)`);

    // ---- 2. a 30-page PDF report ----------------------------------------------------------
    const pdf = reportPdf(30);
    const pdfFile = join(dir, 'report-30-pages.pdf');
    writeFileSync(pdfFile, pdf);
    const inProcess = async (): Promise<{ ms: number; indicators: number }> => {
      const t = performance.now();
      const read = await readDocument(pdf, { name: 'report.pdf' });
      if (!read.ok) throw new Error(read.error.message);
      const indicators = extractFromDocument(read.document).length;
      return { ms: performance.now() - t, indicators };
    };
    const cold = await inProcess();
    const warm: number[] = [];
    for (let r = 0; r < runs; r++) warm.push((await inProcess()).ms);
    const cli: Run[] = [];
    await measure([BIN, 'extract', pdfFile]);
    for (let r = 0; r < runs; r++) cli.push(await measure([BIN, 'extract', pdfFile]));
    const cliWall = median(cli.map((x) => x.seconds));
    console.log(`  30-page PDF report (${(pdf.length / 1024).toFixed(0)} KB, ${cold.indicators} indicators):`);
    console.log(`    readDocument + extractFromDocument in this process: median ${(median(warm) / 1000).toFixed(2)} s (the first call, ${(cold.ms / 1000).toFixed(2)} s, also loads pdf.js through this bench's TypeScript loader)`);
    console.log(`    verdict extract FILE, whole process: median ${cliWall.toFixed(2)} s (${Math.min(...cli.map((x) => x.seconds)).toFixed(2)}–${Math.max(...cli.map((x) => x.seconds)).toFixed(2)}), peak RSS ${median(cli.map((x) => x.rssMb)).toFixed(0)} MB  goal < 2 s: ${cliWall < 2 ? 'met' : 'NOT met'}`);

    // ---- 3. peak RSS on 50 MB files -------------------------------------------------------
    if (options.memory === false) return;
    const FIFTY = 50 * 1024 * 1024;
    const logLines = loadCorpus().find((d) => d.name === 'proxy-firewall.log')?.text ?? '';
    const files: [string, string, () => Buffer][] = [
      ['log (ASCII)', 'fifty.log', () => Buffer.from(logLines.repeat(Math.ceil(FIFTY / logLines.length)).slice(0, FIFTY))],
      ['mixed-script text', 'fifty.txt', () => Buffer.from(corpusText(FIFTY))],
      ['message with a 50 MB attachment', 'fifty.eml', () => largeMessage(FIFTY)],
      ['PDF with a 50 MB image', 'fifty.pdf', () => largePdf(FIFTY)],
    ];
    console.log('  50 MB files, verdict extract FILE (one run each):');
    for (const [name, file, make] of files) {
      const path = join(dir, file);
      const bytes = make();
      writeFileSync(path, bytes);
      const r = await measure([BIN, 'extract', path]);
      console.log(`    ${name.padEnd(34)} ${(bytes.length / 1e6).toFixed(1).padStart(5)} MB  ${r.seconds.toFixed(1).padStart(5)} s  peak RSS ${r.rssMb.toFixed(0).padStart(4)} MB  goal < 300 MB: ${r.rssMb < 300 ? 'met' : 'NOT met'}`);
      rmSync(path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/documents.ts')) {
  await runDocumentBench({ runs: Number(arg('--runs', '5')), memory: !process.argv.includes('--no-memory') });
}
