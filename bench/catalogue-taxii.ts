/**
 * The TAXII line of bench:catalogue: pages of 1,000 objects of the `all` collection at 20 depths
 * spread over the whole catalogue (keyset cursors: a deep page should cost what the first does),
 * each built and serialized as GET /taxii2/api/collections/{id}/objects/ answers it, p50/p99 over
 * three rounds in random order; the manifest's pages the same way; the first page of the
 * high-confidence collection (a filtered one). Baseline, in the same run: the bare recording-order
 * pages (store.catalogue.byAdded, no STIX) at the same depths. Goal: a page of 1,000 < 150 ms.
 */
import type { AddedKey, Store } from '../src/store/types.ts';
import { lifetimesOf } from '../src/http/routes/export.ts';
import type { Intelligence } from '../src/model.ts';
import { findCollection } from '../src/taxii/collections.ts';
import type { TaxiiFilter } from '../src/taxii/filters.ts';
import { collectionId } from '../src/taxii/ids.ts';
import { createTaxiiService } from '../src/taxii/service.ts';

const PAGE = 1_000;
const DEPTHS = 20;
const ROUNDS = 3;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number): string => `${x.toFixed(1)} ms`;

function shuffled<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function taxiiBench(engine: string, store: Store, intel: Intelligence, catalogue: { ensureFresh(): Promise<unknown> }): Promise<void> {
  const service = createTaxiiService({
    catalogue: { ensureFresh: () => catalogue.ensureFresh(), byAdded: (q) => store.catalogue.byAdded(q) },
    labels: { feed: (id) => ({ name: id, category: 'community' }) },
    lifetimeDays: lifetimesOf(intel),
  });
  const all = findCollection(collectionId('all'))!;
  // the positions of 20 pages spread over the whole order, found by walking it bare (keys only kept)
  const total = (await store.catalogue.count({}, Number.MAX_SAFE_INTEGER)).count;
  const every = Math.max(1, Math.floor(total / PAGE / DEPTHS));
  const starts: (AddedKey | null)[] = [null];
  let after: AddedKey | null = null;
  for (let page = 1; ; page++) {
    const r = await store.catalogue.byAdded({ limit: PAGE, after });
    const last = r.entries[r.entries.length - 1];
    if (!r.more || last === undefined) break;
    after = { addedUs: last.addedUs, type: last.type, value: last.value };
    if (page % every === 0 && starts.length < DEPTHS) starts.push(after);
  }
  const filter = (start: AddedKey | null): TaxiiFilter => ({ addedAfterUs: null, limit: PAGE, cursor: start === null ? null : { after: start }, types: null, ids: null, versions: null, specVersion21: true });
  const bare: number[] = [];
  const objects: number[] = [];
  const manifest: number[] = [];
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const start of shuffled(starts)) {
      let t = performance.now();
      await store.catalogue.byAdded({ limit: PAGE, after: start });
      bare.push(performance.now() - t);
      t = performance.now();
      const page = await service.page(all, filter(start), null);
      const body = JSON.stringify({ more: page.more, next: page.next, objects: page.items.map((i) => i.object()) });
      objects.push(performance.now() - t);
      bytes = body.length;
      t = performance.now();
      const m = await service.page(all, filter(start), null);
      JSON.stringify({ more: m.more, next: m.next, objects: m.items.map((i) => ({ id: i.id, date_added: i.dateAdded, version: i.version, media_type: 'application/stix+json;version=2.1' })) });
      manifest.push(performance.now() - t);
    }
  }
  const hc = findCollection(collectionId('high-confidence'))!;
  let t = performance.now();
  const first = await service.page(hc, filter(null), null);
  JSON.stringify(first.items.map((i) => i.object()));
  const hcMs = performance.now() - t;
  console.log(
    `${engine}: TAXII objects page of ${PAGE} at ${starts.length} depths over ${total} indicators (${(bytes / 1e6).toFixed(1)} MB each): p50 ${ms(pct(objects, 50))}, p99 ${ms(pct(objects, 99))} (goal < 150 ms); ` +
      `manifest p50 ${ms(pct(manifest, 50))}, p99 ${ms(pct(manifest, 99))}; bare recording-order pages p50 ${ms(pct(bare, 50))}, p99 ${ms(pct(bare, 99))}; objects/bare p50 ${(pct(objects, 50) / pct(bare, 50)).toFixed(1)}; ` +
      `high-confidence first page (${first.items.length} objects) ${ms(hcMs)}`,
  );
}
