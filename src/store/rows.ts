/** Row shapes that read the same from every engine. */
import type { IndicatorType } from '../indicators/types.ts';
import type { Override } from '../model.ts';

export const OVERRIDE_COLUMNS = 'type, value, verdict, reason, created_at, created_by';

export interface OverrideRow {
  type: string;
  value: string;
  verdict: string;
  reason: string;
  created_at: string;
  created_by: string | null;
}

export function toOverride(r: OverrideRow): Override {
  return {
    type: r.type as IndicatorType,
    value: r.value,
    verdict: r.verdict as 'allow' | 'deny',
    reason: r.reason,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}
