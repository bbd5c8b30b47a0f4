/**
 * Distinct indicators: each (type, value) once, in the order of its first occurrence, with how
 * often it occurs — what a block list or a quick look at a long log wants, and what other
 * extractors print. An indicator seen both as a reference and as an indicator is an indicator.
 */
import type { IndicatorRole, StoredType } from '../indicators/index.ts';

export interface DistinctIndicator {
  type: StoredType;
  value: string;
  role: IndicatorRole;
  count: number;
}

/** An occurrence (an extracted or document indicator) or an entry already counted. */
export type Countable = Pick<DistinctIndicator, 'type' | 'value' | 'role'> & { count?: number };

export class DistinctIndicators {
  private readonly byKey = new Map<string, DistinctIndicator>();

  /** Adds indicators (or already distinct entries, with their counts), in document order. */
  add(items: readonly Countable[]): this {
    for (const x of items) this.addOne(x);
    return this;
  }

  addOne(x: Countable): void {
    const key = `${x.type}\u0000${x.value}`;
    const n = x.count ?? 1;
    const seen = this.byKey.get(key);
    if (seen === undefined) this.byKey.set(key, { type: x.type, value: x.value, role: x.role, count: n });
    else {
      seen.count += n;
      if (x.role === 'indicator') seen.role = 'indicator';
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  list(): DistinctIndicator[] {
    return [...this.byKey.values()];
  }
}

/** The distinct indicators of a batch. */
export function distinctOf(items: readonly Countable[]): DistinctIndicator[] {
  return new DistinctIndicators().add(items).list();
}
