/**
 * docs/integrations.md names API paths, query parameters and JSON field paths, and shows Python
 * that playbooks and Splunk run. Every path and parameter must exist in the running service's
 * OpenAPI document (generated from the route schemas), every field path must resolve in the
 * lookup result's schema and in a real lookup result, the quoted system prompt must be the one
 * sent, and the Python examples must run against a live instance and print what it answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeHarness, type Harness } from '../http/harness.ts';
import { SYSTEM_PROMPT } from '../../src/llm/summary.ts';
import { startChatServer, type ChatServer } from './server.ts';

const DOC = readFileSync(new URL('../../docs/integrations.md', import.meta.url), 'utf8');

/** The fenced block after `<!-- marker -->`. */
function blockAfter(marker: string): string {
  const m = new RegExp(`<!-- ${marker.replace(/[.]/g, '\\.')} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\`\\n`).exec(DOC);
  assert.ok(m, `docs/integrations.md has a block after <!-- ${marker} -->`);
  return m[1]!;
}

/** Every `/api/v1/...` path named, without its query. */
export function apiPaths(doc: string): string[] {
  return [...new Set([...doc.matchAll(/\/api\/v1\/[\w/{}.-]*\w/g)].map((m) => m[0]))];
}

/** Query parameters of the lookup, in every form the page writes them. */
export function lookupParameters(doc: string): string[] {
  const names = new Set<string>();
  // a literal query (`?value=…&type=…`); the script's `?{query}` is built from urlencode() below
  for (const m of doc.matchAll(/\/api\/v1\/lookup\?(\w[^\s"'`)]*)/g)) for (const pair of m[1]!.split('&')) names.add(pair.split('=')[0]!);
  for (const m of doc.matchAll(/--data-urlencode "(\w+)=/g)) names.add(m[1]!);
  for (const m of doc.matchAll(/params(?:\["(\w+)"\]| = \{"(\w+)")/g)) names.add((m[1] ?? m[2])!);
  for (const m of doc.matchAll(/urlencode\(\{"(\w+)"/g)) names.add(m[1]!);
  for (const m of doc.matchAll(/"queries": \{([^}]*)\}/g)) for (const k of m[1]!.matchAll(/"(\w+)":/g)) names.add(k[1]!);
  return [...names];
}

/** JSON paths of a lookup result, written `a.b[].c`, from the table, jq filters, Python and Logic App expressions. */
export function fieldPaths(doc: string): string[] {
  const paths = new Set<string>();
  const section = doc.slice(doc.indexOf('## The fields a playbook reads'), doc.indexOf('## A SOAR playbook step'));
  for (const line of section.split('\n')) {
    const cell = /^\| (`[^|]+`) \|/.exec(line)?.[1];
    if (cell === undefined || cell === 'JSON path') continue;
    for (const p of cell.matchAll(/`([^`]+)`/g)) paths.add(p[1]!);
  }
  for (const m of doc.matchAll(/jq (?:-\w+ )*'([^']+)'/g)) {
    for (const p of m[1]!.matchAll(/(?:^|[\s(\[{,:|])\.([A-Za-z_]\w*(?:\[\])?(?:\.[A-Za-z_]\w*(?:\[\])?)*)/g)) paths.add(p[1]!);
  }
  for (const m of doc.matchAll(/result((?:\["\w+"\])+)/g)) paths.add([...m[1]!.matchAll(/"(\w+)"/g)].map((k) => k[1]).join('.'));
  for (const m of doc.matchAll(/body\('Lookup_in_Verdict'\)((?:\?\['\w+'\])+)/g)) paths.add([...m[1]!.matchAll(/'(\w+)'/g)].map((k) => k[1]).join('.'));
  return [...paths];
}

type Schema = { type?: unknown; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: unknown; $ref?: string };

/** Whether `path` names a field the schema declares (`[]` steps into an array's items). */
function inSchema(schema: Schema, path: string, refs: Record<string, Schema>): boolean {
  let at: Schema | undefined = schema;
  for (const step of path.split('.')) {
    const array = step.endsWith('[]');
    const name = array ? step.slice(0, -2) : step;
    if (at?.$ref !== undefined) at = refs[at.$ref.split('/').pop()!];
    at = at?.properties?.[name] ?? (typeof at?.additionalProperties === 'object' ? (at.additionalProperties as Schema) : undefined);
    if (at?.$ref !== undefined) at = refs[at.$ref.split('/').pop()!];
    if (at === undefined) return false;
    if (array) at = at.items;
  }
  return at !== undefined;
}

/** Whether `path` holds a value in `doc` (for `[]`, in at least one element). */
function inResult(doc: unknown, path: string): boolean {
  const [step, ...rest] = path.split('.');
  if (step === undefined) return doc !== undefined;
  const array = step.endsWith('[]');
  const value = (doc as Record<string, unknown> | null)?.[array ? step.slice(0, -2) : step];
  if (value === undefined) return false;
  if (!array) return rest.length === 0 || inResult(value, rest.join('.'));
  return Array.isArray(value) && value.some((v) => rest.length === 0 || inResult(v, rest.join('.')));
}

function run(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env }, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

const python = spawnSync('python3', ['-c', 'import requests'], { stdio: 'ignore' }).status === 0 ? 'python3' : null;

describe('docs/integrations.md', () => {
  let llm: ChatServer;
  let h: Harness;
  let base: string;
  let openapi: { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>; components: { schemas?: Record<string, Schema> } };
  const results: unknown[] = [];
  let dir: string;
  before(async () => {
    llm = await startChatServer(null);
    h = await makeHarness({ env: { VERDICT_LLM_URL: llm.base, VERDICT_LLM_MODEL: 'm', VERDICT_LLM_TIMEOUT_MS: '2000' } });
    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '192.0.2.1', threatType: 'botnet_cc', malwareFamily: 'Emotet', lastSeen: '2026-11-29T00:00:00Z', referenceUrl: 'https://example.org/a' }]);
    await h.ingest('emerging-threats', [{ type: 'ipv4', value: '192.0.2.1', threatType: 'botnet_cc', lastSeen: '2026-11-20T00:00:00Z' }]);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    openapi = h.app.swagger() as unknown as typeof openapi;
    const get = async (q: string) => {
      const res = await h.app.inject({ method: 'GET', url: `/api/v1/lookup?${q}`, headers: h.auth() });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as unknown;
    };
    results.push(await get('value=192.0.2.1&include=summary'), await get('value=8.8.8.8'));
    llm.behaviour = 'error500';
    results.push(await get('value=192.0.2.2&include=summary'));
    llm.behaviour = 'answer';
    dir = mkdtempSync(join(tmpdir(), 'verdict-integrations-'));
  });
  after(async () => {
    await h.close();
    await llm.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every API path it names is a route of the service', () => {
    const paths = apiPaths(DOC);
    assert.ok(paths.includes('/api/v1/lookup'));
    for (const p of paths) assert.ok(openapi.paths[p] !== undefined, `${p} is in /openapi.json`);
  });

  test('every lookup parameter it uses is one the route declares', () => {
    const declared = new Set((openapi.paths['/api/v1/lookup']!.get!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
    const used = lookupParameters(DOC);
    for (const name of ['value', 'type', 'include', 'platforms']) assert.ok(used.includes(name), `the extraction finds ${name}`);
    for (const name of used) assert.ok(declared.has(name), `parameter ${name} is declared by GET /api/v1/lookup (${[...declared].join(', ')})`);
  });

  test('every JSON path it names is in the result schema and in a real lookup result', () => {
    const refs = openapi.components.schemas ?? {};
    const responses = openapi.paths['/api/v1/lookup']!.get! as unknown as { responses: Record<string, { content: Record<string, { schema: Schema }> }> };
    const schema = responses.responses['200']!.content['application/json']!.schema;
    const paths = fieldPaths(DOC);
    for (const p of ['risk_score', 'confidence', 'found', 'sources[].feed_name', 'mitre_techniques[].id', 'hunting_queries.splunk', 'summary.text', 'risk.score']) {
      assert.ok(paths.includes(p), `the extraction finds ${p} (found: ${paths.join(' ')})`);
    }
    for (const p of paths) {
      assert.ok(inSchema(schema, p, refs), `${p} is declared by the lookup's response schema`);
      assert.ok(
        results.some((r) => inResult(r, p)),
        `${p} holds a value in a real lookup result`,
      );
    }
    // and the check can fail
    assert.equal(inSchema(schema, 'sources[].feed', refs), false);
    assert.equal(inResult(results[0], 'mitre_techniques[].technique_id'), false);
  });

  test('the Logic App action is JSON, and its prompt quote is the system prompt sent', () => {
    const action = JSON.parse(blockAfter('logic-app')) as Record<string, { inputs: { uri: string; method: string } }>;
    assert.equal(action.Lookup_in_Verdict!.inputs.method, 'GET');
    assert.ok(action.Lookup_in_Verdict!.inputs.uri.endsWith('/api/v1/lookup'));
    assert.equal(blockAfter('system-prompt'), `${SYSTEM_PROMPT}\n`);
  });

  test('the SOAR step (Python requests) runs against a live instance and reports its answer', { skip: python === null ? 'python3 with requests is not installed' : false }, async () => {
    writeFileSync(join(dir, 'soar_step.py'), blockAfter('file: soar_step.py'));
    const env = { VERDICT_URL: base, VERDICT_KEY: h.adminKey };
    const out = await run(python!, ['soar_step.py', '192.0.2.1', 'ipv4'], { env, cwd: dir });
    assert.equal(out.code, 0, out.stderr);
    const step = JSON.parse(out.stdout) as Record<string, unknown>;
    const real = results[0] as { value: string; risk_score: string; confidence: string; found: boolean; risk: { score: number }; sources: { feed_name: string }[]; mitre_techniques: { id: string }[] };
    assert.equal(step.indicator, real.value);
    assert.equal(step.verdict, real.risk_score);
    assert.equal(step.confidence, real.confidence);
    assert.equal(step.found, true);
    assert.equal(step.score, real.risk.score);
    assert.deepEqual(step.feeds, ['CISA Alerts', 'Emerging Threats']);
    assert.deepEqual(step.techniques, real.mitre_techniques.map((t) => t.id));
    assert.ok(Array.isArray(step.techniques) && (step.techniques as unknown[]).length > 0, 'the sample has techniques to read');
    assert.equal(step.summary, null);
    const invalid = await run(python!, ['soar_step.py', 'not an indicator'], { env, cwd: dir });
    assert.equal(invalid.code, 0, invalid.stderr);
    assert.equal(invalid.stdout.trim(), 'null');
    const refused = await run(python!, ['soar_step.py', '192.0.2.1'], { env: { ...env, VERDICT_KEY: 'sk_live_' + 'x'.repeat(40) }, cwd: dir });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Verdict 401 invalid_api_key/);
  });

  test('the Splunk external lookup script fills Splunk\'s CSV from a live instance', { skip: python === null ? 'python3 is not installed' : false }, async () => {
    const app = join(dir, 'splunk-app');
    mkdirSync(join(app, 'bin'), { recursive: true });
    mkdirSync(join(app, 'local'), { recursive: true });
    writeFileSync(join(app, 'bin', 'verdict_lookup.py'), blockAfter('file: verdict_lookup.py'));
    const transforms = /\[verdict\]\nexternal_cmd = verdict_lookup\.py ([\w ]+)\nfields_list = ([\w, ]+)\n/.exec(DOC);
    assert.ok(transforms, 'transforms.conf stanza');
    const fields = transforms[2]!.split(', ');
    assert.deepEqual(transforms[1]!.split(' '), fields, 'external_cmd passes the fields of fields_list');
    const input = `${fields.join(',')}\n192.0.2.1,,,,,,\nhxxp://evil[.]example[.]com/x,,,,,,\n192.0.2.1,,,,,,\n,,,,,,\n`;
    const check = (stdout: string) => {
      const rows = stdout.trim().split(/\r?\n/).map((l) => l.split(','));
      assert.deepEqual(rows[0], fields);
      const real = results[0] as { risk_score: string; confidence: string; risk: { score: number }; mitre_techniques: { id: string }[] };
      assert.deepEqual(rows[1]!.slice(0, 5), ['192.0.2.1', real.risk_score, real.confidence, 'true', String(real.risk.score)]);
      assert.match(stdout, /"CISA Alerts, Emerging Threats"/);
      assert.deepEqual(rows[2]!.slice(0, 4), ['hxxp://evil[.]example[.]com/x', 'low', 'low', 'false']);
      assert.equal(rows.length, 5, 'one row out per row in, the empty one included');
    };
    const withEnv = await run(python!, [join(app, 'bin', 'verdict_lookup.py'), ...fields], { env: { VERDICT_URL: base, VERDICT_KEY: h.adminKey }, input });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    check(withEnv.stdout);
    writeFileSync(join(app, 'local', 'verdict.json'), JSON.stringify({ url: base, key: h.adminKey }));
    const withFile = await run(python!, [join(app, 'bin', 'verdict_lookup.py'), ...fields], { input });
    assert.equal(withFile.code, 0, withFile.stderr);
    check(withFile.stdout);
  });
});
