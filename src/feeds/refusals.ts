/**
 * A refused run names the fix. The refusals that are not about the rows of a file (those are
 * mismatch.ts): a file with no entries, a snapshot that would delist too much, a MISP manifest
 * without its events — each says what to do about it.
 */
import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { IngestError } from '../store/types.ts';
import { FeedParseError } from './parsers/types.ts';

/** How a run was started, as far as what to do about a refusal depends on it. */
export type RunOrigin = { kind: 'remote'; feedId: string } | { kind: 'file'; feedId: string; allowDrop: boolean };

/**
 * A file that holds no entries at all (empty, or only comments). More often a failed export or
 * the wrong file than an empty list, so it is refused: as a suspect drop when the feed lists
 * something now, and as nothing to import otherwise. `--allow-drop` takes it.
 */
export function emptyFileRefusal(listedNow: number, mode: 'snapshot' | 'incremental'): FeedParseError {
  const what =
    mode === 'snapshot' && listedNow > 0
      ? `the file holds no entries: it would delist all ${listedNow} sightings the feed lists; refused as suspect, previous data kept`
      : 'the file holds no entries (empty, or only comments): nothing to import';
  return new FeedParseError(`${what}. If the feed is empty on purpose, import the file with --allow-drop`);
}

/** The store's suspect-drop refusal, with what the operator can do about it. */
export function withDropFix(err: unknown, origin: RunOrigin): unknown {
  if (!(err instanceof IngestError) || err.failure.kind !== 'suspect_drop') return err;
  const fix =
    origin.kind === 'file'
      ? 'if the feed really dropped them, import the file again with --allow-drop'
      : `if the list really shrank, raise the feed's options.maxDropShare, or import the file with \`verdict feeds import ${origin.feedId} FILE --allow-drop\``;
  return new IngestError({ ...err.failure, message: `${err.failure.message}; ${fix}` });
}

/**
 * A MISP feed is a folder: `manifest.json` and one `<uuid>.json` file per event. Null when
 * `dir` holds event files beside its manifest; else what to pass instead.
 */
export async function mispFolderProblem(given: string, dir: string): Promise<string | null> {
  const names = await readdir(dir);
  if (names.some((n) => n !== 'manifest.json' && n.toLowerCase().endsWith('.json'))) return null;
  const holds = basename(given) === 'manifest.json' ? `${given} is a MISP feed's manifest, and none of the event files it lists is beside it` : `${given} holds no MISP event files`;
  return `${holds}: pass the folder of the MISP feed, with manifest.json and its <uuid>.json event files`;
}
