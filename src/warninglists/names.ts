/**
 * Name index for string/hostname lists: one Map from name to the lists holding it, and a walk
 * up the labels of the queried host, so that a lookup costs a few Map hits whatever the list sizes.
 */

/** `exact`: the name only; `self_and_sub`: the name and every name below it; `sub`: only names below it. */
export type NameMode = 'exact' | 'self_and_sub' | 'sub';

export interface NameEntry<L> {
  list: L;
  mode: NameMode;
  entry: string;
}

export class NameIndex<L> {
  private readonly map = new Map<string, NameEntry<L>[]>();

  add(name: string, list: L, mode: NameMode, entry: string): void {
    const key = name.toLowerCase();
    const at = this.map.get(key);
    if (at === undefined) this.map.set(key, [{ list, mode, entry }]);
    else at.push({ list, mode, entry });
  }

  get size(): number {
    return this.map.size;
  }

  /** Calls `hit` for each entry matching `name` (already lower-case) or one of its parents. */
  lookup(name: string, hit: (e: NameEntry<L>) => void): void {
    const own = this.map.get(name);
    if (own !== undefined) for (const e of own) if (e.mode !== 'sub') hit(e);
    let dot = name.indexOf('.');
    while (dot >= 0) {
      const parent = this.map.get(name.slice(dot + 1));
      if (parent !== undefined) for (const e of parent) if (e.mode !== 'exact') hit(e);
      dot = name.indexOf('.', dot + 1);
    }
  }
}

/** Reads one list entry as a name: lower case, no trailing dot; a leading dot means "below this name". */
export function nameEntry(raw: string, listType: 'string' | 'hostname'): { name: string; mode: NameMode } | null {
  let name = raw.trim().toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.startsWith('.')) {
    name = name.slice(1);
    return name === '' ? null : { name, mode: 'sub' };
  }
  if (name === '') return null;
  return { name, mode: listType === 'hostname' ? 'self_and_sub' : 'exact' };
}
