/** What every validator returns: the canonical value, or why the input is not valid. */
export type Normalized = { ok: true; value: string } | { ok: false; reason: string };

export function ok(value: string): Normalized {
  return { ok: true, value };
}
export function fail(reason: string): Normalized {
  return { ok: false, reason };
}
