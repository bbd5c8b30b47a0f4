/**
 * The sightings of a lookup on one time axis: a row per source (feed and how it matched), its
 * first and last seen as text in the table, and a bar from one to the other drawn beside them
 * (drawing only: the dates are the cells). Feed names are rendered as text.
 */
import type { Source } from './api.ts';

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const DAY = 86_400_000;

export function Timeline({ sources }: { sources: Source[] }) {
  const rows = sources
    .map((s) => ({ s, first: Date.parse(s.first_seen), last: Date.parse(s.last_seen) }))
    .filter((r) => Number.isFinite(r.first) && Number.isFinite(r.last))
    .sort((a, b) => a.first - b.first || a.last - b.last);
  if (rows.length === 0) return null;
  const start = Math.min(...rows.map((r) => r.first));
  const end = Math.max(...rows.map((r) => r.last));
  // at least a day wide, so that one day's sightings still read as a bar
  const span = Math.max(end - start, DAY);
  const at = (ms: number) => ((ms - start) / span) * 100;
  const mid = start + span / 2;
  return (
    <section aria-labelledby="timeline-title" data-testid="timeline">
      <h3 id="timeline-title">Timeline</h3>
      <div class="table-wrap">
        <table class="timeline">
          <caption class="visually-hidden">
            When each source first and last reported it, from {day(start)} to {day(end)}
          </caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col" class="tl-axis-head">
                <span class="visually-hidden">Span on a shared axis</span>
                <span class="tl-axis" aria-hidden="true">
                  <span>{day(start)}</span>
                  <span>{day(mid)}</span>
                  <span>{day(start + span)}</span>
                </span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ s, first, last }, i) => (
              <tr key={i} data-feed={s.feed_name}>
                <td>
                  {s.feed_name}
                  {s.match !== 'exact' && <span class="muted small"> ({s.match.replace('_', ' ')} {s.matched_value})</span>}
                </td>
                <td class="nowrap">{day(first)}</td>
                <td class="nowrap">{day(last)}</td>
                <td class="tl-cell">
                  <span class="tl-track" aria-hidden="true">
                    <span class={`tl-bar${s.listed ? '' : ' delisted'}`} style={{ left: `min(${at(first)}%, calc(100% - 6px))`, width: `${Math.max(at(last) - at(first), 0)}%` }} />
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
