// `verdict extract`, run as a user runs it: a child process fed through stdin.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runVerdict } from '../cli/run.ts';


const run = (args: string[], stdin: string) => runVerdict(['extract', ...args], stdin);

// Each run starts a TypeScript process (a few seconds), so the cases run side by side.
describe('verdict extract', { concurrency: true }, () => {
  test('json: all of stdin is one text', async () => {
    const r = await run([], '1.2.3.4 and hxxp://evil[.]com/a\nsecond line CVE-2021-44228\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      indicators: [
        { type: 'ipv4', value: '1.2.3.4', role: 'indicator', start: 0, end: 7 },
        { type: 'url', value: 'http://evil.com/a', role: 'indicator', start: 12, end: 31 },
        { type: 'domain', value: 'evil.com', role: 'indicator', start: 19, end: 29, partOf: { type: 'url', value: 'http://evil.com/a' } },
        { type: 'cve', value: 'CVE-2021-44228', role: 'indicator', start: 44, end: 58 },
      ],
    });
  });

  test('json with --no-refang and --types', async () => {
    const r = await run(['--no-refang', '--types', 'domain,ipv4'], 'evil[.]com good.org 1.2.3.4 CVE-2021-44228');
    assert.equal(r.code, 0, r.stderr);
    const got = (JSON.parse(r.stdout) as { indicators: { type: string; value: string }[] }).indicators.map((i) => `${i.type} ${i.value}`);
    assert.deepEqual(got, ['domain good.org', 'ipv4 1.2.3.4']);
  });

  test('ndjson: one output line per input line, in order, ids echoed', async () => {
    const input = [
      JSON.stringify({ id: 1, text: 'mail bob@evil.com' }),
      JSON.stringify({ id: 'b', text: 'nothing here' }),
      '',
      JSON.stringify({ id: { n: 3 }, text: '2001:db8::1' }),
    ].join('\n');
    const r = await run(['--format', 'ndjson', '--no-parts'], input);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(lines, [
      { id: 1, indicators: [{ type: 'email', value: 'bob@evil.com', role: 'indicator', start: 5, end: 17 }] },
      { id: 'b', indicators: [] },
      { id: { n: 3 }, indicators: [{ type: 'ipv6', value: '2001:db8::1', role: 'indicator', start: 0, end: 11 }] },
    ]);
  });

  test('ndjson: a bad line gets an error line in its place and exit code 1', async () => {
    const r = await run(['--format', 'ndjson'], `not json\n${JSON.stringify({ id: 7 })}\n${JSON.stringify({ id: 8, text: '8.8.8.8' })}\n`);
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: unknown; error?: string; indicators?: unknown[] });
    assert.equal(lines.length, 3);
    assert.equal(lines[0]?.id, null);
    assert.match(lines[0]?.error ?? '', /line 1: not JSON/);
    assert.equal(lines[1]?.id, 7);
    assert.match(lines[1]?.error ?? '', /string "text"/);
    assert.deepEqual(lines[2], { id: 8, indicators: [{ type: 'ipv4', value: '8.8.8.8', role: 'indicator', start: 0, end: 7 }] });
  });

  test('json: a link the text cites is a reference, the rest are indicators', async () => {
    const r = await run([], 'C2: hxxps://evil[.]cc/a\n\nReferences:\n- https://attack.mitre.org/techniques/T1572/\n');
    assert.equal(r.code, 0, r.stderr);
    const got = (JSON.parse(r.stdout) as { indicators: { type: string; value: string; role: string }[] }).indicators.map((i) => `${i.role} ${i.type} ${i.value}`);
    assert.deepEqual(got, [
      'indicator url https://evil.cc/a',
      'indicator domain evil.cc',
      'reference url https://attack.mitre.org/techniques/T1572/',
      'reference domain attack.mitre.org',
    ]);
  });

  test('an unknown type or format is a usage error, not a crash', async () => {
    const bad = await run(['--types', 'ipv4,bogus'], '');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown type\(s\) bogus/);
    const fmt = await run(['--format', 'xml'], '');
    assert.notEqual(fmt.code, 0);
    assert.match(fmt.stderr, /xml/);
  });
});
