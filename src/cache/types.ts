/** Lookup response cache. Entries are tied to the store's data version so a feed run invalidates them. */
export interface LookupCache {
  get(key: string, dataVersion: number): Promise<unknown | undefined>;
  set(key: string, dataVersion: number, value: unknown): Promise<void>;
  close(): Promise<void>;
}
