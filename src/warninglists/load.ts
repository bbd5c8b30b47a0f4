/** Reads the shipped warning lists (data/warninglists/) and compiles them; fails fast on a bad file. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWarninglists } from './compile.ts';
import { LIST_TYPES, type ListMatching, type WarninglistFile, type WarninglistSource, type Warninglists } from './types.ts';

export class WarninglistError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WarninglistError';
  }
}

interface MatchingFile {
  lists: Record<string, ListMatching>;
}

export function loadWarninglists(dir: string): Warninglists {
  const matching = readJson(join(dir, 'matching.json')) as MatchingFile;
  if (typeof matching !== 'object' || matching === null || typeof matching.lists !== 'object') {
    throw new WarninglistError(`${join(dir, 'matching.json')}: expected an object with "lists"`);
  }
  const sources: WarninglistSource[] = Object.entries(matching.lists).map(([id, m]) => {
    const path = join(dir, id, 'list.json');
    return { id, file: checkList(readJson(path), path), matching: m };
  });
  return compileWarninglists(sources);
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
