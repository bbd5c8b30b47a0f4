/** Every value a feed states goes through src/indicators, so stored values are canonical. */
import { normalize, parseIndicator } from '../../indicators/index.ts';
import { isIndicatorType, isStoredType, type StoredType } from '../../indicators/types.ts';

export type IndicatorOutcome = { ok: true; type: StoredType; value: string } | { ok: false; reason: string };

/** `a.b.c.d/nn` or an IPv6 prefix: ranges are stored as `cidr`, which detection never yields. */
const CIDR_SHAPE = /^[0-9a-f:.]+\/\d{1,3}$/i;

/**
 * Canonical form of a feed value. `type` pins the type (a list of IPs says so in the catalog);
 * otherwise the type is detected, with `ip/prefix` read as a range.
 */
export function toIndicator(raw: string, type?: StoredType | null): IndicatorOutcome {
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, reason: 'empty value' };
  if (type === 'cidr' || ((type === undefined || type === null) && CIDR_SHAPE.test(trimmed))) {
    const r = normalize('cidr', trimmed);
    return r.ok ? { ok: true, type: 'cidr', value: r.value } : { ok: false, reason: r.reason };
  }
  if (type !== undefined && type !== null) {
    if (!isIndicatorType(type)) return { ok: false, reason: `unknown type ${String(type)}` };
    // most feed values are already clean: the plain check first, refanging only when it fails
    const plain = normalize(type, trimmed);
    if (plain.ok) return { ok: true, type, value: plain.value };
  }
  const r = parseIndicator(trimmed, type ?? undefined);
  if (r.ok) return { ok: true, type: r.type, value: r.value };
  const why = r.tried.map((t) => `${t.type}: ${t.reason}`).join('; ');
  return { ok: false, reason: why === '' ? 'not an indicator' : why };
}

/** Reads a catalog option naming a stored type (`"type": "ipv4"`). */
export function typeOption(v: unknown): StoredType | null {
  return typeof v === 'string' && isStoredType(v) ? v : null;
}
