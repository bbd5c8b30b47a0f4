/** Reads the shipped warning lists (data/warninglists/) and compiles them; fails fast on a bad file. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWarninglists } from './compile.ts';
import { LIST_TYPES, type ListMatching, type WarninglistFile, type WarninglistMeta, type WarninglistSource, type Warninglists } from './types.ts';

export class WarninglistError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WarninglistError';
  }
}

interface MatchingFile {
  lists: Record<string, ListMatching>;
}

/**
 * The shipped lists, compiled. `index.json` says what each list is, so a list's entries are read
 * (and checked) only when a lookup first needs its kind: a command that looks up one CVE reads
 * none, one IP the IP lists only. Without an index every list is read now.
 */
export function loadWarninglists(dir: string): Warninglists & { warm(): void; warmSteps(): (() => void)[] } {
  const matching = readJson(join(dir, 'matching.json')) as MatchingFile;
  if (typeof matching !== 'object' || matching === null || typeof matching.lists !== 'object') {
    throw new WarninglistError(`${join(dir, 'matching.json')}: expected an object with "lists"`);
  }
  const indexPath = join(dir, 'index.json');
  const index = existsSync(indexPath) ? (readJson(indexPath) as IndexFile) : null;
  const sources: WarninglistSource[] = Object.entries(matching.lists).map(([id, m]) => {
    const path = join(dir, id, 'list.json');
    const meta = index?.lists?.[id];
    if (meta === undefined) return { id, file: checkList(readJson(path), path), matching: m };
    if (!(LIST_TYPES as readonly unknown[]).includes(meta.type) || typeof meta.name !== 'string' || typeof meta.entries !== 'number') {
      throw new WarninglistError(`${indexPath}: the entry of ${id} is malformed (run scripts/warninglists-index.mjs)`);
    }
    let file: WarninglistFile | null = null;
    return {
      id,
      matching: m,
      meta,
      get file(): WarninglistFile {
        return (file ??= checkList(readJson(path), path));
      },
    };
  });
  return compileWarninglists(sources);
}

interface IndexFile {
  lists?: Record<string, WarninglistMeta>;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (cause) {
    throw new WarninglistError(`cannot read warning list file ${path}`, { cause });
  }
}

/** Checks the fields Verdict relies on (MISP's schema: name, version, type, list). */
export function checkList(raw: unknown, where: string): WarninglistFile {
  const f = raw as Partial<WarninglistFile> | null;
  if (typeof f !== 'object' || f === null) throw new WarninglistError(`${where}: not a JSON object`);
  if (typeof f.name !== 'string') throw new WarninglistError(`${where}: "name" must be a string`);
  if (!(LIST_TYPES as readonly unknown[]).includes(f.type)) {
    throw new WarninglistError(`${where}: "type" must be one of ${LIST_TYPES.join(', ')}`);
  }
  if (!Array.isArray(f.list) || !f.list.every((e) => typeof e === 'string')) {
    throw new WarninglistError(`${where}: "list" must be an array of strings`);
  }
  return {
    name: f.name,
    version: typeof f.version === 'number' ? f.version : 0,
    description: typeof f.description === 'string' ? f.description : '',
    type: f.type as WarninglistFile['type'],
    list: f.list,
    ...(Array.isArray(f.matching_attributes) ? { matching_attributes: f.matching_attributes } : {}),
  };
}
