/** MISP warning lists as shipped in data/warninglists/ and what Verdict makes of them. */

export const LIST_TYPES = ['string', 'substring', 'hostname', 'cidr', 'regex'] as const;
export type ListType = (typeof LIST_TYPES)[number];

/** A `list.json` file in MISP's format. */
export interface WarninglistFile {
  name: string;
  version: number;
  description: string;
  type: ListType;
  list: string[];
  matching_attributes?: string[];
}

/** Per-list corrections from data/warninglists/matching.json. */
export interface ListMatching {
  /** Read the entries as another list type (e.g. `string` lists that are really domain suffixes). */
  matchAs?: ListType;
  /** Entries the upstream list lacks. */
  extraEntries?: string[];
}

export interface WarninglistSource {
  /** Folder name, used as the list id in responses. */
  id: string;
  /** The list; may be a getter that reads it on first use (see `meta`). */
  readonly file: WarninglistFile;
  matching: ListMatching;
  /**
   * What the list is, without its entries (data/warninglists/index.json): with it, `file` is read
   * only when a lookup first needs this kind of list.
   */
  meta?: WarninglistMeta;
}

/** A list's description without its entries. */
export interface WarninglistMeta {
  name: string;
  version: number;
  type: ListType;
  matching_attributes?: string[];
  entries: number;
}

/** What the value is checked as: its own value, the host of a URL, the domain of an email. */
export type MatchVia = 'value' | 'host' | 'domain';

export interface WarninglistMatch {
  id: string;
  name: string;
  via: MatchVia;
  /** The list entry that matched, when it is a name or hash (ranges are merged, so not for IPs). */
  entry?: string;
}

export interface WarninglistSummary {
  id: string;
  name: string;
  type: ListType;
  version: number;
  entries: number;
}

export interface Warninglists {
  readonly lists: readonly WarninglistSummary[];
  /** Every list the indicator is on, each list once, in load order. `host`: a URL's host when the caller has parsed it. */
  match(type: string, value: string, host?: string | null): WarninglistMatch[];
}
