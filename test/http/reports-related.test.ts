/** A lookup's related.reports and related.related_iocs: the reports naming the indicator and what else they name. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from './harness.ts';
import { reportSightings } from '../../src/reports/records.ts';
import type { ReportRecord } from '../../src/store/types.ts';

let h: Harness;
before(async () => {
  h = await makeHarness();
});
after(async () => {
  await h.close();
});

const report = (id: string, published: string, indicators: ReportRecord['indicators']): ReportRecord => ({
  id,
  feedId: 'internal-reports',
  title: `Report ${id}`,
  url: `https://intel.example.org/${id}`,
  published,
  fetched: '2026-11-30T00:00:00.000Z',
  indicators,
  attackIds: [],
  cves: [],
});

describe('related reports in a lookup', () => {
  test('names the reports that mention the indicator, newest first, and the other indicators they name', async () => {
    const a = report('rpt_a', '2026-01-01T00:00:00.000Z', [{ type: 'ipv4', value: '198.51.100.20' }, { type: 'domain', value: 'drop.example.com' }]);
    const b = report('rpt_b', '2026-02-01T00:00:00.000Z', [{ type: 'ipv4', value: '198.51.100.20' }, { type: 'sha256', value: 'b'.repeat(64) }]);
    for (const r of [a, b]) {
      await h.store.reports.put(r);
      await h.ingest(r.feedId, reportSightings(r));
    }
    const res = await h.app.inject({ url: '/api/v1/lookup?value=198.51.100.20', headers: h.auth() });
    assert.equal(res.statusCode, 200, res.body);
    const related = res.json().related;
    assert.deepEqual(related.reports.map((r: { id: string }) => r.id), ['rpt_b', 'rpt_a']);
    assert.equal(related.reports[0].title, 'Report rpt_b');
    assert.deepEqual(related.related_iocs.map((x: { value: string }) => x.value), ['b'.repeat(64), 'drop.example.com'], 'the indicator itself is not repeated');
  });

  test('an indicator no report names has neither', async () => {
    const res = await h.app.inject({ url: '/api/v1/lookup?value=198.51.100.99', headers: h.auth() });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().related.reports, undefined);
    assert.equal(res.json().related.related_iocs, undefined);
  });
});
