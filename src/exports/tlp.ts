/**
 * TLP 2.0 (FIRST): the levels, their order from least to most restrictive, and the marking an
 * indicator gets — the stricter of what the caller asked for and what its feeds state (a feed's
 * own TLP in a source's details, else its category's default).
 */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type TlpLevel = (typeof TLP_LEVELS)[number];

/** A feed's TLP when it states none, by its category: public feeds are clear, the rest amber. */
export const CATEGORY_TLP: Readonly<Record<string, TlpLevel>> = {
  government: 'clear',
  community: 'clear',
  research: 'clear',
  commercial: 'amber',
  internal: 'amber',
};
/** A category this table does not know is treated as amber (never looser than it may be). */
const UNKNOWN_CATEGORY_TLP: TlpLevel = 'amber';

/** `tlp:white` and `white` of TLP 1.0 are TLP 2.0's clear. */
export function parseTlp(raw: string): TlpLevel | null {
  const s = raw.trim().toLowerCase().replace(/^tlp:\s*/, '');
  if (s === 'white') return 'clear';
  return (TLP_LEVELS as readonly string[]).includes(s) ? (s as TlpLevel) : null;
}

export function stricterTlp(a: TlpLevel, b: TlpLevel): TlpLevel {
  return TLP_LEVELS.indexOf(a) >= TLP_LEVELS.indexOf(b) ? a : b;
}

/** One source's TLP: its own stated `details.tlp`, else its category's default. */
export function sourceTlp(source: { category: string; details: Record<string, unknown> }): TlpLevel {
  const stated = source.details['tlp'];
  const parsed = typeof stated === 'string' ? parseTlp(stated) : null;
  return parsed ?? CATEGORY_TLP[source.category] ?? UNKNOWN_CATEGORY_TLP;
}

/** The marking of an indicator: the stricter of the asked level (clear when none) and each source's. */
export function itemTlp(sources: readonly { category: string; details: Record<string, unknown> }[], asked: TlpLevel | undefined): TlpLevel {
  let tlp: TlpLevel = asked ?? 'clear';
  for (const s of sources) tlp = stricterTlp(tlp, sourceTlp(s));
  return tlp;
}
