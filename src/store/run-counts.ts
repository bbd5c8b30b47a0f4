/**
 * What an ingest run did to its feed's sightings, and the rules every engine applies to those
 * counts: the suspect-drop refusal and the feed's listed count after the run.
 */
import { IngestError } from './types.ts';
import type { IngestOptions } from './types.ts';

export interface RunCounts {
  /** New sightings of the feed. */
  added: number;
  /** Sightings the run confirmed that were listed before it. */
  confirmedListed: number;
  /** Sightings the run confirmed that an earlier snapshot had delisted. */
  relisted: number;
}

/** Snapshot runs: how many of the feed's listed sightings the run did not confirm. */
export function unconfirmed(listedBefore: number, run: RunCounts): number {
  return listedBefore - run.confirmedListed;
}

/**
 * With `maxDropShare`, a snapshot run that would delist more than that share of the sightings the
 * feed lists now is refused (IngestError `suspect_drop`); exactly the share is allowed, and a
 * feed's first run is never suspect.
 */
export function refuseSuspectDrop(options: IngestOptions, listedBefore: number, run: RunCounts): void {
  const max = options.maxDropShare;
  if (options.mode !== 'snapshot' || max === undefined || listedBefore === 0) return;
  const wouldDelist = unconfirmed(listedBefore, run);
  if (wouldDelist / listedBefore <= max) return;
  throw new IngestError({
    kind: 'suspect_drop',
    previous: listedBefore,
    current: run.added + run.confirmedListed + run.relisted,
    message: `feed ${options.feedId}: the run would delist ${wouldDelist} of ${listedBefore} listed sightings (more than ${Math.round(max * 100)}%); refused as suspect, previous data kept`,
  });
}

export function listedAfter(listedBefore: number, run: RunCounts, delisted: number): number {
  return listedBefore + run.added + run.relisted - delisted;
}
