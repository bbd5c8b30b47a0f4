/**
 * Spamhaus DROP in the NDJSON format: `{"cidr":…,"sblid":…,"rir":…}` a line, then one
 * `{"type":"metadata",…}` line that is not a range. The DROP reader handles both forms line by
 * line, so a text download imported under this format still works.
 */
export { parseSpamhausDrop as parseSpamhausDropNdjson } from './spamhaus-drop.ts';
