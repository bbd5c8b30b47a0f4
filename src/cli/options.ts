/**
 * What the command table needs while it reads the command line — option vocabularies and
 * parsers — kept apart from the commands' code so that reading the line, and `--help`, load no
 * command. Only light modules are imported here.
 */
import { InvalidArgumentError } from '../vendor/commander.ts';
import { isStoredType, STORED_TYPES, type StoredType } from '../indicators/types.ts';

/** Where `verdict migrate-store` reads its target URL when --to is not given (a password stays out of ps). */
export const MIGRATE_TO_ENV = 'VERDICT_MIGRATE_TO';

export const EXTRACT_FORMATS = ['json', 'ndjson'] as const;
export type ExtractFormat = (typeof EXTRACT_FORMATS)[number];

/** `--types ipv4,url` of `verdict extract`. */
export function parseTypes(value: string): StoredType[] {
  const types = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const unknown = types.filter((t) => !isStoredType(t));
  if (unknown.length > 0 || types.length === 0) {
    throw new InvalidArgumentError(`unknown type(s) ${unknown.join(', ') || '(none given)'}; expected a comma-separated list of ${STORED_TYPES.join(', ')}`);
  }
  return types as StoredType[];
}
