/**
 * An update of an API key as one statement, shared by both engines: the columns of the fields
 * given (never the hash, prefix or dates of creation, use and revocation), checked as a stored
 * record is (src/store/validate.ts), so both refuse the same changes with the same messages.
 */
import { SCOPES, TIERS, type ApiKeyChanges } from './types.ts';

const SCOPE_SET: ReadonlySet<string> = new Set(SCOPES);
const TIER_SET: ReadonlySet<string> = new Set(TIERS);

/** `UPDATE api_keys SET … WHERE id = ?` with its parameters (the id last); null when nothing is to change. */
export function keyUpdate(id: string, c: ApiKeyChanges): { sql: string; params: unknown[] } | null {
  const bad = (problem: string): never => {
    throw new TypeError(`api key update: ${problem}`);
  };
  const set: string[] = [];
  const params: unknown[] = [];
  if (c.name !== undefined) {
    if (typeof c.name !== 'string') bad('name must be a string');
    set.push('name = ?');
    params.push(c.name);
  }
  if (c.tier !== undefined) {
    if (!TIER_SET.has(c.tier)) bad(`unknown tier ${JSON.stringify(c.tier)}`);
    set.push('tier = ?');
    params.push(c.tier);
  }
  if (c.scopes !== undefined) {
    if (!Array.isArray(c.scopes) || c.scopes.some((s) => !SCOPE_SET.has(s))) bad(`scopes must be a list of ${SCOPES.join(', ')}`);
    set.push('scopes = ?');
    params.push(JSON.stringify([...new Set(c.scopes)]));
  }
  if (c.allowedIps !== undefined) {
    if (!Array.isArray(c.allowedIps) || c.allowedIps.some((r) => typeof r !== 'string' || !r.includes('/'))) bad('allowedIps must be a list of CIDR ranges');
    set.push('allowed_ips = ?');
    params.push(JSON.stringify(c.allowedIps));
  }
  if (c.expiresAt !== undefined) {
    if (c.expiresAt !== null && (typeof c.expiresAt !== 'string' || Number.isNaN(Date.parse(c.expiresAt)))) bad('expiresAt must be an RFC 3339 time or null');
    set.push('expires_at = ?');
    params.push(c.expiresAt);
  }
  if (set.length === 0) return null;
  params.push(id);
  return { sql: `UPDATE api_keys SET ${set.join(', ')} WHERE id = ?`, params };
}
