/**
 * Checks on what callers hand to the store, shared by every engine so that SQLite and
 * PostgreSQL refuse the same records with the same messages.
 */
import { isIndicatorType } from '../indicators/types.ts';
import type { Override } from '../model.ts';
import { toMillis } from './records.ts';
import { SCOPES, TIERS } from './types.ts';
import type { ApiKeyRecord, FeedRunRecord, FeedRunStatus } from './types.ts';

const SCOPE_SET: ReadonlySet<string> = new Set(SCOPES);
const TIER_SET: ReadonlySet<string> = new Set(TIERS);
const HASH_RE = /^[0-9a-f]{64}$/;
const RUN_STATUSES: ReadonlySet<string> = new Set<FeedRunStatus>(['success', 'failure', 'not_modified', 'running']);
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

function checker(what: string) {
  return (problem: string): never => {
    throw new TypeError(`${what}: ${problem}`);
  };
}

export function validateKey(k: ApiKeyRecord): void {
  const bad = checker('api key record');
  if (k === null || typeof k !== 'object') bad('missing');
  if (typeof k.id !== 'string' || k.id.length === 0) bad('id must be a non-empty string');
  if (typeof k.keyHash !== 'string' || !HASH_RE.test(k.keyHash)) bad('keyHash must be a lower-case hex SHA-256');
  if (typeof k.keyPrefix !== 'string' || k.keyPrefix.length === 0) bad('keyPrefix must be a non-empty string');
  if (typeof k.name !== 'string') bad('name must be a string');
  if (!TIER_SET.has(k.tier)) bad(`unknown tier ${JSON.stringify(k.tier)}`);
  if (!Array.isArray(k.scopes) || k.scopes.some((s) => !SCOPE_SET.has(s))) bad(`scopes must be a list of ${SCOPES.join(', ')}`);
  if (!isTime(k.createdAt)) bad('createdAt must be an RFC 3339 time');
  if (!Array.isArray(k.allowedIps) || k.allowedIps.some((r) => typeof r !== 'string' || !r.includes('/'))) bad('allowedIps must be a list of CIDR ranges');
}

export function validateOverride(o: Override): void {
  const bad = checker('override');
  if (o === null || typeof o !== 'object') bad('missing');
  if (!isIndicatorType(o.type)) bad(`unknown indicator type ${JSON.stringify(o.type)}`);
  if (typeof o.value !== 'string' || o.value.length === 0) bad('value must be a non-empty string');
  if (o.verdict !== 'allow' && o.verdict !== 'deny') bad(`verdict must be 'allow' or 'deny'`);
  if (typeof o.reason !== 'string') bad('reason must be a string');
  if (!isTime(o.createdAt)) bad('createdAt must be an RFC 3339 time');
}

export function validateRun(run: FeedRunRecord): void {
  const bad = checker('feed run record');
  if (run === null || typeof run !== 'object') bad('missing');
  if (typeof run.feedId !== 'string' || run.feedId.length === 0) bad('feedId must be a non-empty string');
  if (!isTime(run.startedAt)) bad('startedAt must be an RFC 3339 time');
  if (!RUN_STATUSES.has(run.status)) bad(`unknown status ${JSON.stringify(run.status)}`);
}

/** The feed a purge names. */
export function checkFeedId(feedId: unknown, what: string): void {
  if (typeof feedId !== 'string' || feedId.length === 0) throw new TypeError(`${what}: feedId must be a non-empty string`);
}

/** The retention cutoff as epoch ms (both engines store times so). */
export function pruneCutoff(before: unknown): number {
  const ms = toMillis(before);
  if (ms === null) throw new TypeError(`pruneDelisted: before must be an RFC 3339 time, got ${JSON.stringify(before)}`);
  return ms;
}
