/**
 * The text the queries search for an indicator. Logs write most values as Verdict writes them;
 * an AS number they write as a number (`13335`, ECS `source.as.number`, Entra ID's
 * `AutonomousSystemNumber`), so a canonical `AS13335` is searched as `13335`. Anything else —
 * a value not in canonical form included — is searched as given, through the same encoders.
 */
import type { IndicatorType } from '../indicators/types.ts';

const CANONICAL_ASN = /^AS(\d{1,10})$/;

const SEARCHED_FORMS: Readonly<Partial<Record<IndicatorType, (value: string) => string>>> = {
  asn: (value) => CANONICAL_ASN.exec(value)?.[1] ?? value,
};

export function searchedValue(type: IndicatorType, value: string): string {
  const form = SEARCHED_FORMS[type];
  return form === undefined ? value : form(value);
}
