/**
 * The Store contract: every implementation (SQLite, PostgreSQL) runs this same suite.
 * It speaks only through the Store interface and assumes nothing about the engine.
 *
 *   runStoreContract('sqlite', async () => ({ store, cleanup }))
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/types.ts';
import { batchedContract } from './contract/batched.ts';
import { definitionsContract } from './contract/definitions.ts';
import { ingestContract } from './contract/ingest.ts';
import { recordsContract } from './contract/records.ts';
import { reportsContract } from './contract/reports.ts';
import { catalogueContract } from './contract/catalogue.ts';
import type { StoreFactory } from './contract/helpers.ts';

export type { StoreFactory } from './contract/helpers.ts';

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('lifecycle', () => {
      it('pings and migrates again without harm', async () => {
        await store.ping();
        await store.migrate();
        await store.migrate();
        assert.deepEqual(await store.stats(), { indicators: 0, sightings: 0, lastIngestAt: null });
      });
    });


    const ctx = {
      get store(): Store {
        return store;
      },
    };
    ingestContract(ctx, factory);
    recordsContract(ctx);
    definitionsContract(ctx);
    reportsContract(ctx);
    batchedContract(ctx);
    catalogueContract(ctx);
  });
}
