/**
 * The date a list states for itself in a comment line: when the file was generated or last
 * changed. Lists that give no date per entry say when the whole file was true, and that is the
 * date their entries were seen (`dateSource: 'file'`), not the moment Verdict read them.
 *
 *   ; Last-Modified: Fri, 17 Jan 2025 17:03:47 GMT          Spamhaus DROP / EDROP / DROPv6
 *   #    updated: Tue Dec 22 04:10:11 2009 UTC              DShield block.txt
 *   # Last updated: 2024-01-10 10:05:22 UTC                 abuse.ch (Feodo Tracker, MalwareBazaar)
 *   # Last updated: 2024-01-10 10:05:22 (UTC)          #    abuse.ch URLhaus, inside its box
 *   # Generated: 2024-01-10T10:05:22Z, # Generated on …, # Date: …, # updated …, # This File Date: …
 *
 * Only comment lines are looked at, and readers stop looking once a date is found: the first
 * stated date wins (Spamhaus's `; Expires:` line after it is not a generation date anyway).
 */
import type { SightingRecord } from '../../model.ts';
import { toIsoDate } from './text.ts';

const LABEL = String.raw`last[- ]?modified|last[- ]updated?|updated|generated(?:\s+(?:on|at))?|date|this\s+file\s+date`;
/** `# label: value #`, the label right after the comment marks, a colon or a space after it. */
const FILE_DATE_LINE = new RegExp(String.raw`^[#;]+\s*(?:${LABEL})(?:\s*[:=]\s*|\s+)(.+?)[\s#;]*$`, 'i');

/** The date a comment line states for the whole file, RFC 3339 UTC; null for any other comment. */
export function fileDateOf(comment: string): string | null {
  const m = FILE_DATE_LINE.exec(comment.trimStart());
  return m === null ? null : toIsoDate(m[1]);
}

/**
 * A record with no date of its own takes the file's (both first and last seen: the file says
 * the entry was listed then); a record with its own dates keeps them.
 */
export function withFileDate(rec: SightingRecord, fileDate: string | null): SightingRecord {
  if (fileDate === null || rec.firstSeen != null || rec.lastSeen != null) return rec;
  rec.firstSeen = fileDate;
  rec.lastSeen = fileDate;
  rec.dateSource = 'file';
  return rec;
}
