import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogueItems, type CatalogueEntryLike } from '../../src/exports/catalogue.ts';
import { stixBundle } from '../../src/exports/stix.ts';
import { indicatorId, TLP_MARKING_IDS, type StixObject } from '../../src/exports/stix.ts';
import { collect, exportOptions, stixValidators } from './helpers.ts';

const validators = stixValidators();

const entry = (i: number): CatalogueEntryLike => ({
  type: 'ipv4',
  value: `198.51.100.${i}`,
  firstSeen: '2026-11-01T00:00:00.000Z',
  lastSeen: '2026-11-20T00:00:00.000Z',
  score: 70,
  level: 'high',
  confidence: 'medium',
  feeds: ['cisa-alerts', 'acme-commercial'],
  threatTypes: ['botnet_cc'],
  families: ['Emotet'],
  techniques: ['T1071'],
});

describe('catalogue entries as export items', () => {
  test('a stream of entries exports as a valid STIX bundle, feeds named by the catalog, TLP from their categories', async () => {
    async function* entries(): AsyncIterable<CatalogueEntryLike> {
      for (let i = 1; i <= 3; i++) yield entry(i);
    }
    const labels = {
      feed: (id: string) => ({ 'cisa-alerts': { name: 'CISA Alerts', category: 'government' }, 'acme-commercial': { name: 'Acme', category: 'commercial' } })[id],
      technique: (id: string) => (id === 'T1071' ? 'Application Layer Protocol' : undefined),
    };
    const bundle = JSON.parse(await collect(stixBundle(catalogueItems(entries(), labels), exportOptions))) as { objects: StixObject[] };
    assert.ok(validators.bundle(bundle), JSON.stringify(validators.bundle.errors?.slice(0, 3)));
    for (const o of bundle.objects) assert.ok(validators.of(o.type)(o), `${o.id}`);
    const ind = bundle.objects.find((o) => o.id === indicatorId('ipv4', '198.51.100.2'))!;
    assert.deepEqual(ind['object_marking_refs'], [TLP_MARKING_IDS.amber], 'a commercial feed makes it amber');
    assert.deepEqual(bundle.objects.filter((o) => o.type === 'identity').map((o) => o['name']).sort(), ['Acme', 'CISA Alerts', 'Verdict']);
    assert.equal(bundle.objects.find((o) => o.type === 'attack-pattern')!['name'], 'Application Layer Protocol');
    assert.equal(bundle.objects.filter((o) => o.type === 'sighting').length, 6, 'one per feed and indicator');
  });
});
