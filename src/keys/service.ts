/**
 * Key use cases shared by the admin routes and `verdict keys`: create, list, get, update, revoke,
 * and the first admin key on an empty store.
 */
import type { ApiKeyChanges, ApiKeyRecord, ApiKeyRepository, Scope, Tier } from '../store/types.ts';
import { SCOPES, TIERS } from '../store/types.ts';
import { hashKey, isWellFormedKey, mintKey, toRfc3339 } from './keys.ts';
import { parseAllowedIps } from './allowed-ips.ts';

/** A key as clients see it: never the hash. */
export interface KeyView {
  id: string;
  key_prefix: string;
  name: string;
  tier: Tier;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  allowed_ips: string[];
}

export function keyView(r: ApiKeyRecord): KeyView {
  return {
    id: r.id,
    key_prefix: r.keyPrefix,
    name: r.name,
    tier: r.tier,
    scopes: r.scopes,
    created_at: r.createdAt,
    last_used_at: r.lastUsedAt,
    expires_at: r.expiresAt,
    revoked_at: r.revokedAt,
    allowed_ips: r.allowedIps,
  };
}

export interface KeyServiceDeps {
  keys: ApiKeyRepository;
  clock: () => Date;
  newId: () => string;
}

export interface CreateKeyInput {
  name: string;
  tier: Tier;
  scopes?: Scope[];
  expiresInDays?: number | null;
  /** Canonical ranges, as checkAllowedIps returns them. */
  allowedIps?: string[];
}

export type KeyInputProblem = { field: string; reason: string };

export const MAX_KEY_NAME = 200;
export const DEFAULT_SCOPES: readonly Scope[] = ['read:lookup'];

/** A key's name, tier and scopes, each checked when given; the problem with the first at fault, or null. */
function checkKeyFields(input: { name?: unknown; tier?: unknown; scopes?: unknown }): KeyInputProblem | null {
  if (input.name !== undefined && (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > MAX_KEY_NAME)) {
    return { field: 'name', reason: `must be a non-empty string of at most ${MAX_KEY_NAME} characters` };
  }
  if (input.tier !== undefined && (typeof input.tier !== 'string' || !(TIERS as readonly string[]).includes(input.tier))) {
    return { field: 'tier', reason: `must be one of ${TIERS.join(', ')}` };
  }
  if (input.scopes !== undefined) {
    if (!Array.isArray(input.scopes) || input.scopes.length === 0) return { field: 'scopes', reason: 'must be a non-empty list' };
    const bad = input.scopes.find((s) => typeof s !== 'string' || !(SCOPES as readonly string[]).includes(s));
    if (bad !== undefined) return { field: 'scopes', reason: `unknown scope "${String(bad)}"; allowed: ${SCOPES.join(', ')}` };
  }
  return null;
}

/** Checks user input for a new key (a name and a tier are required); returns the problem or null. */
export function checkKeyInput(input: { name?: unknown; tier?: unknown; scopes?: unknown; expiresInDays?: unknown }): KeyInputProblem | null {
  const fields = checkKeyFields({ name: input.name ?? null, tier: input.tier ?? null, scopes: input.scopes });
  if (fields !== null) return fields;
  if (input.expiresInDays !== undefined && input.expiresInDays !== null) {
    const d = input.expiresInDays;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 3650) {
      return { field: 'expires_in_days', reason: 'must be a whole number of days between 1 and 3650' };
    }
  }
  return null;
}

/** A key's allow-list as given: the canonical ranges, or the problem with the entry at fault. */
export function checkAllowedIps(entries: unknown): { ok: true; ranges: string[] } | { ok: false; problem: KeyInputProblem } {
  if (!Array.isArray(entries)) return { ok: false, problem: { field: 'allowed_ips', reason: 'must be a list of CIDR ranges or addresses' } };
  const parsed = parseAllowedIps(entries as string[]);
  if (!parsed.ok) return { ok: false, problem: { field: 'allowed_ips', reason: `entry "${parsed.entry}": ${parsed.reason}` } };
  return { ok: true, ranges: [...new Set(parsed.canonical)] };
}

/** What PATCH /api/v1/keys/{id} and `verdict keys update` may change, as given (absent: unchanged). */
export interface KeyUpdateInput {
  name?: unknown;
  tier?: unknown;
  scopes?: unknown;
  allowed_ips?: unknown;
  /** RFC 3339 time in the future, or null: never expires. */
  expires_at?: unknown;
}

/** Checks an update; returns the changes as the store takes them, or the problem with the field at fault. */
export function checkKeyUpdate(input: KeyUpdateInput, now: Date): { ok: true; changes: ApiKeyChanges } | { ok: false; problem: KeyInputProblem } {
  const fail = (field: string, reason: string) => ({ ok: false as const, problem: { field, reason } });
  const fields = checkKeyFields(input);
  if (fields !== null) return { ok: false, problem: fields };
  const changes: ApiKeyChanges = {};
  if (input.name !== undefined) changes.name = (input.name as string).trim();
  if (input.tier !== undefined) changes.tier = input.tier as Tier;
  if (input.scopes !== undefined) changes.scopes = [...new Set(input.scopes as Scope[])];
  if (input.allowed_ips !== undefined) {
    const allowed = checkAllowedIps(input.allowed_ips);
    if (!allowed.ok) return { ok: false, problem: allowed.problem };
    changes.allowedIps = allowed.ranges;
  }
  if (input.expires_at !== undefined) {
    const at = input.expires_at;
    if (at === null) changes.expiresAt = null;
    else {
      const ms = typeof at === 'string' && RFC3339.test(at) ? Date.parse(at) : Number.NaN;
      if (Number.isNaN(ms)) return fail('expires_at', 'must be an RFC 3339 time (2027-01-31T00:00:00Z) or null (never expires)');
      if (ms <= now.getTime()) return fail('expires_at', 'must be in the future (to stop a key now, revoke it)');
      changes.expiresAt = toRfc3339(new Date(ms));
    }
  }
  if (Object.keys(changes).length === 0) return fail('body', 'names nothing to change: give name, tier, scopes, allowed_ips or expires_at');
  return { ok: true, changes };
}

/**
 * Revoking the last active admin key, or taking `admin` from it, would leave nobody able to
 * manage keys through the API: refused (409). `verdict keys create --scopes admin` on the
 * store's host can always mint another.
 */
export class LastAdminKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`Key "${keyId}" is the last active admin key: create another admin key before revoking it or taking its admin scope.`);
    this.name = 'LastAdminKeyError';
  }
}

const isActiveAdmin = (k: ApiKeyRecord, nowMs: number): boolean => k.revokedAt === null && (k.expiresAt === null || Date.parse(k.expiresAt) > nowMs) && k.scopes.includes('admin');

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function createKeyService(deps: KeyServiceDeps) {
  /** Throws LastAdminKeyError when `record` is the only active admin key. */
  async function keepAnAdmin(record: ApiKeyRecord): Promise<void> {
    const nowMs = deps.clock().getTime();
    if (!isActiveAdmin(record, nowMs)) return;
    if (!(await deps.keys.list()).some((k) => k.id !== record.id && isActiveAdmin(k, nowMs))) throw new LastAdminKeyError(record.id);
  }
  return {
    /** Returns the stored record and the key, which must be shown once and then forgotten. */
    async create(input: CreateKeyInput): Promise<{ key: string; record: ApiKeyRecord }> {
      const now = deps.clock();
      const days = input.expiresInDays ?? null;
      const expiresAt = days === null ? null : toRfc3339(new Date(now.getTime() + days * 86_400_000));
      const minted = mintKey(deps.newId(), { name: input.name.trim(), tier: input.tier, scopes: input.scopes ?? [...DEFAULT_SCOPES], expiresAt, allowedIps: input.allowedIps ?? [] }, now);
      await deps.keys.create(minted.record);
      return minted;
    },
    /** The service's clock (an update's expiry must lie after it). */
    now: () => deps.clock(),
    list: () => deps.keys.list(),
    get: (id: string) => deps.keys.get(id),
    /** Revokes and returns the record, or null when there is no such active key; LastAdminKeyError for the last admin key. */
    async revoke(id: string): Promise<ApiKeyRecord | null> {
      const current = await deps.keys.get(id);
      if (current === null || current.revokedAt !== null) return null;
      await keepAnAdmin(current);
      const ok = await deps.keys.revoke(id, toRfc3339(deps.clock()));
      return ok ? deps.keys.get(id) : null;
    },
    /**
     * Changes a key's name, tier, scopes, allow-list or expiry (checked by checkKeyUpdate; never
     * its secret). Returns the record before and after, or null when there is no such active key.
     */
    async update(id: string, changes: ApiKeyChanges): Promise<{ before: ApiKeyRecord; after: ApiKeyRecord } | null> {
      const before = await deps.keys.get(id);
      if (before === null || before.revokedAt !== null) return null;
      if (changes.scopes !== undefined && !changes.scopes.includes('admin')) await keepAnAdmin(before);
      const after = await deps.keys.update(id, changes);
      return after === null ? null : { before, after };
    },
    /**
     * On an empty key table: stores the configured admin key, or mints one. Returns the key only
     * when it was generated here (the caller prints it once); null when keys already existed or
     * another process stored the first key meanwhile.
     */
    async ensureAdminKey(configured: string | null): Promise<{ record: ApiKeyRecord; key: string | null } | null> {
      if ((await deps.keys.count()) > 0) return null;
      const input = { name: 'admin', tier: 'enterprise' as const, scopes: ['admin' as const], expiresAt: null };
      if (configured !== null && !isWellFormedKey(configured)) throw new Error('VERDICT_ADMIN_KEY is not a well-formed key');
      const minted = mintKey(deps.newId(), input, deps.clock(), configured ?? undefined);
      // stored only while the store still holds no key: of instances starting together on an
      // empty store, exactly one stores (and prints) a first key
      if (!(await deps.keys.createFirst(minted.record))) return null;
      return { record: minted.record, key: configured === null ? minted.key : null };
    },
    hashKey,
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
