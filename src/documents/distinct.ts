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
  /** By type, then value (no key string built per occurrence); `order` keeps first occurrences in order. */
  private readonly byType = new Map<string, Map<string, DistinctIndicator>>();
  private readonly order: DistinctIndicator[] = [];

  /** Adds indicators (or already distinct entries, with their counts), in document order. */
  add(items: readonly Countable[]): this {
    for (const x of items) this.addOne(x);
    return this;
  }

  addOne(x: Countable): void {
    let values = this.byType.get(x.type);
    if (values === undefined) this.byType.set(x.type, (values = new Map()));
    const n = x.count ?? 1;
    const seen = values.get(x.value);
    if (seen === undefined) {
      const entry: DistinctIndicator = { type: x.type, value: x.value, role: x.role, count: n };
      values.set(x.value, entry);
      this.order.push(entry);
    } else {
      seen.count += n;
      if (x.role === 'indicator') seen.role = 'indicator';
    }
  }

  get size(): number {
    return this.order.length;
  }

  list(): DistinctIndicator[] {
    return [...this.order];
  }
}

/** The distinct indicators of a batch. */
export function distinctOf(items: readonly Countable[]): DistinctIndicator[] {
  return new DistinctIndicators().add(items).list();
}
