/** Lookup response cache. Entries are tied to the store's data version so a feed run invalidates them. */
export interface LookupCache {
  get(key: string, dataVersion: number): Promise<unknown | undefined>;
  /**
   * What this process holds for the key, synchronously, without asking anything shared (Redis);
   * undefined when it holds nothing current. A hit here is a hit `get` would also return.
   */
  peek(key: string, dataVersion: number): unknown | undefined;
  set(key: string, dataVersion: number, value: unknown): Promise<void>;
  close(): Promise<void>;
}
