/** `verdict keys create|list|update|revoke|usage|init`: API keys in the configured store. */
import { loadConfig } from '../config.ts';
import { buildKeyDeps, commandLogger, type KeyDeps } from '../deps.ts';
import { checkAllowedIps, checkKeyInput, checkKeyUpdate, keyView, type KeyService, type KeyView } from '../keys/service.ts';
import { usageReport, utcDay } from '../keys/usage.ts';
import { printable } from '../printable.ts';
import type { Scope, Tier } from '../store/types.ts';

async function withKeys<T>(fn: (keys: KeyService, deps: KeyDeps) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const deps = await buildKeyDeps(config, { logger: commandLogger(config) });
  try {
    return await fn(deps.keys, deps);
  } finally {
    await deps.close();
  }
}

/** One key on one line; its name is whatever was given, so escaped. */
function describe(k: KeyView): string {
  const state = k.revoked_at ? `revoked ${k.revoked_at}` : k.expires_at ? `expires ${k.expires_at}` : 'active';
  const from = k.allowed_ips.length > 0 ? `  from ${k.allowed_ips.join(',')}` : '';
  return printable(`${k.id}  ${k.key_prefix}…  ${k.name}  tier=${k.tier}  scopes=${k.scopes.join(',')}  ${state}  last used ${k.last_used_at ?? 'never'}${from}`);
}

export interface CreateKeyOptions {
  name: string;
  tier: string;
  scopes?: string;
  expiresInDays?: string;
  allowedIps?: string;
  json?: boolean;
}

export async function createKey(opts: CreateKeyOptions): Promise<void> {
  const scopes = opts.scopes?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const days = opts.expiresInDays === undefined ? undefined : /^\d+$/.test(opts.expiresInDays) ? Number(opts.expiresInDays) : NaN;
  const problem = checkKeyInput({ name: opts.name, tier: opts.tier, scopes, expiresInDays: days });
  if (problem) throw new Error(`--${problem.field.replace(/_/g, '-')} ${problem.reason}`);
  const allowed = checkAllowedIps(opts.allowedIps === undefined ? [] : opts.allowedIps.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  if (!allowed.ok) throw new Error(`--allowed-ips ${allowed.problem.reason}`);
  const { key, record } = await withKeys((k) =>
    k.create({ name: opts.name, tier: opts.tier as Tier, ...(scopes ? { scopes: scopes as Scope[] } : {}), expiresInDays: days ?? null, allowedIps: allowed.ranges }),
  );
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ...keyView(record), key }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`${describe(keyView(record))}\n\nThe key, shown only this once:\n\n    ${key}\n\n`);
}

export async function listKeys(opts: { json?: boolean }): Promise<void> {
  const list = (await withKeys((k) => k.list())).map(keyView);
  if (opts.json) process.stdout.write(JSON.stringify({ keys: list }, null, 2) + '\n');
  else process.stdout.write(list.length === 0 ? 'no keys\n' : list.map(describe).join('\n') + '\n');
}

export interface UpdateKeyOptions {
  name?: string;
  tier?: string;
  scopes?: string;
  allowedIps?: string;
  expiresAt?: string;
  json?: boolean;
}

/** `verdict keys update ID`: the fields given change, the others (and the key's secret) stay. */
export async function updateKey(id: string, opts: UpdateKeyOptions): Promise<void> {
  const list = (v: string | undefined): string[] | undefined => v?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const input = {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.tier !== undefined ? { tier: opts.tier } : {}),
    ...(opts.scopes !== undefined ? { scopes: list(opts.scopes) } : {}),
    // an empty list (--allowed-ips '') lets the key be used from any address again
    ...(opts.allowedIps !== undefined ? { allowed_ips: list(opts.allowedIps) } : {}),
    ...(opts.expiresAt !== undefined ? { expires_at: opts.expiresAt === 'never' ? null : opts.expiresAt } : {}),
  };
  const result = await withKeys(async (k) => {
    const checked = checkKeyUpdate(input, k.now());
    if (!checked.ok) {
      const field = checked.problem.field === 'body' ? 'the command' : `--${checked.problem.field.replace(/_/g, '-')}`;
      throw new Error(`${field} ${checked.problem.reason.replace('give name, tier, scopes, allowed_ips or expires_at', 'give --name, --tier, --scopes, --allowed-ips or --expires-at')}`);
    }
    return k.update(id, checked.changes);
  });
  if (result === null) {
    process.stderr.write(`${printable(`no active key with id "${id}"`)}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(opts.json ? JSON.stringify(keyView(result.after), null, 2) + '\n' : `updated ${describe(keyView(result.after))}\n`);
}

export async function revokeKey(id: string, opts: { json?: boolean }): Promise<void> {
  const record = await withKeys((k) => k.revoke(id));
  if (record === null) {
    process.stderr.write(`${printable(`no active key with id "${id}"`)}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(opts.json ? JSON.stringify(keyView(record), null, 2) + '\n' : `revoked ${describe(keyView(record))}\n`);
}

/**
 * `verdict keys usage ID`: the key's requests per UTC day and per route, its last use and what is
 * left of today's quota — GET /api/v1/keys/{id}/usage's answer, read from the store (a running
 * server writes its counts every few seconds).
 */
export async function keyUsage(id: string, opts: { days?: string; json?: boolean }): Promise<void> {
  const days = opts.days === undefined ? 30 : /^\d+$/.test(opts.days) && Number(opts.days) >= 1 && Number(opts.days) <= 90 ? Number(opts.days) : NaN;
  if (Number.isNaN(days)) throw new Error('--days expects a whole number from 1 to 90');
  const report = await withKeys(async (k, deps) => {
    const record = await k.get(id);
    if (record === null) return null;
    const now = Date.now();
    const counts = await deps.store.keys.usage(id, utcDay(now - (days - 1) * 86_400_000));
    return usageReport(id, counts, record.lastUsedAt, deps.config.tiers[record.tier].perDay, now);
  });
  if (report === null) {
    process.stderr.write(`${printable(`no key with id "${id}"`)}\n`);
    process.exitCode = 1;
    return;
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const q = report.quota;
  const lines = [`${printable(report.key_id)}  last used ${report.last_used_at ?? 'never'}  today ${q.used_today} of ${q.per_day} (${q.remaining_today} left, resets ${q.resets_at})`];
  if (report.days.length === 0) lines.push('no requests counted');
  for (const d of report.days) {
    lines.push(`${d.day}  ${String(d.requests).padStart(8)}`);
    for (const [route, n] of Object.entries(d.routes).sort((a, b) => b[1] - a[1])) lines.push(`              ${String(n).padStart(8)}  ${printable(route)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * `verdict keys init`: the first admin key, as `serve` stores it on its first start — from
 * VERDICT_ADMIN_KEY, or minted and printed once — when the store holds no key; nothing otherwise.
 * Run once, as a one-off step, it lets the long-running instances start without the key in
 * their environment (deploy/compose.yaml's `init` service).
 */
export async function initAdminKey(opts: { json?: boolean }): Promise<void> {
  const config = loadConfig();
  const admin = await withKeys((k) => k.ensureAdminKey(config.adminKey));
  const outcome = admin === null ? 'exists' : admin.key === null ? 'stored' : 'created';
  if (opts.json) {
    process.stdout.write(JSON.stringify({ outcome, ...(admin === null ? {} : { ...keyView(admin.record), ...(admin.key === null ? {} : { key: admin.key }) }) }, null, 2) + '\n');
    return;
  }
  if (admin === null) process.stdout.write('the store holds keys already: nothing to do\n');
  else if (admin.key === null) process.stdout.write(`stored VERDICT_ADMIN_KEY as the first admin key: ${describe(keyView(admin.record))}\n`);
  else process.stdout.write(`${describe(keyView(admin.record))}\n\nCreated the first admin key. It is shown only this once:\n\n    ${admin.key}\n\n`);
}
