/**
 * The Catalogue page (scope read:iocs): every indicator Verdict holds. A search (GET
 * /api/v1/iocs/search: exact, then substring, then what shares an origin with an exact match) or
 * the filtered list (GET /api/v1/iocs, newest last seen first, "More" follows links.next), with
 * the search and filters kept in the address (`/catalogue?q=…&type=…`) so a view can be linked
 * to; and a dashboard of GET /api/v1/iocs/stats drawn as CSS bars. Values, feed and family names
 * are feed data: rendered as text.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { catalogue, catalogueStats, describeFailure, searchCatalogue, type CatalogueFilters, type CatalogueIoc, type CatalogueStats } from './api.ts';
import { InternalLink } from './card.tsx';
import { date } from './format.ts';
import { useSlashFocus } from './slash-focus.ts';
import { lookupPath, navigate, useSearch } from './router.ts';
import { LEVELS, levelRank } from './indicator-text.ts';

const TYPES = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email', 'cve', 'mitre-attack', 'asn', 'cidr'];
/** The catalogue's levels, least first (the list's `level` is a minimum). */
const MIN_LEVELS = ['low', 'medium', 'high', 'critical'];
const FILTER_KEYS = ['type', 'level', 'feed', 'technique', 'cve', 'family', 'since'] as const;

interface Query extends CatalogueFilters {
  q?: string;
}

/** The search and filters the address names (`?q=…&type=…`); unknown parameters are ignored. */
export function queryOf(search: string): Query {
  const p = new URLSearchParams(search);
  const out: Query = {};
  for (const k of ['q', ...FILTER_KEYS] as const) {
    const v = p.get(k);
    if (v !== null && v.trim() !== '') out[k] = v.trim();
  }
  return out;
}

export function catalogueHref(q: Query): string {
  const p = new URLSearchParams();
  for (const k of ['q', ...FILTER_KEYS] as const) {
    const v = q[k];
    if (v !== undefined && v.trim() !== '') p.set(k, v.trim());
  }
  const s = p.toString();
  return s === '' ? '/catalogue' : `/catalogue?${s}`;
}

/** A search's results narrowed by the filters, in the page (the search route takes none). */
function narrow(rows: CatalogueIoc[], f: CatalogueFilters): CatalogueIoc[] {
  const up = (s: string | undefined) => s?.toUpperCase();
  return rows.filter(
    (r) =>
      (f.type === undefined || r.type === f.type) &&
      (f.level === undefined || levelRank(r.risk_score) <= levelRank(f.level)) &&
      (f.feed === undefined || r.feeds.includes(f.feed)) &&
      (f.technique === undefined || r.mitre_techniques.includes(up(f.technique) ?? '')) &&
      (f.cve === undefined || r.cves.includes(up(f.cve) ?? '')) &&
      (f.family === undefined || r.malware_families.some((m) => m.toLowerCase() === f.family?.toLowerCase())) &&
      (f.since === undefined || r.last_seen >= f.since),
  );
}

type Results =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'done'; mode: 'search' | 'list'; rows: CatalogueIoc[]; next: string | null; total: number | null; exact: boolean; loadingMore: boolean };

export function CataloguePage() {
  const search = useSearch();
  const query = queryOf(search);
  const [draft, setDraft] = useState<Query>(query);
  const [stats, setStats] = useState<CatalogueStats | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);
  const [results, setResults] = useState<Results>({ state: 'idle' });
  const field = useRef<HTMLInputElement>(null);
  const latest = useRef(0);

  useEffect(() => {
    catalogueStats().then(setStats, (e: unknown) => setStatsError(describeFailure(e)));
  }, []);

  // the address is the query: each change of it (a submit, a link, the back button) loads it
  useEffect(() => {
    setDraft(query);
    const n = ++latest.current;
    setResults({ state: 'loading' });
    const { q, ...filters } = query;
    const run =
      q !== undefined
        ? searchCatalogue(q).then((r) => ({ mode: 'search' as const, rows: narrow(r.results, filters), next: null, total: null, exact: true }))
        : catalogue(filters).then((r) => ({ mode: 'list' as const, rows: r.iocs, next: r.links.next, total: r.meta.total, exact: r.meta.total_exact }));
    run.then(
      (r) => n === latest.current && setResults({ state: 'done', ...r, loadingMore: false }),
      (e: unknown) => n === latest.current && setResults({ state: 'error', message: describeFailure(e) }),
    );
  }, [search]);

  useSlashFocus(field);

  async function more() {
    if (results.state !== 'done' || results.next === null) return;
    const n = latest.current;
    setResults({ ...results, loadingMore: true });
    try {
      const page = await catalogue({}, results.next);
      if (n === latest.current) setResults({ ...results, rows: [...results.rows, ...page.iocs], next: page.links.next, loadingMore: false });
    } catch (e) {
      if (n === latest.current) setResults({ state: 'error', message: describeFailure(e) });
    }
  }

  const set = (k: keyof Query) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const filtered = Object.keys(query).length > 0;
  const feedOptions = stats?.feeds.map((f) => ({ id: f.id, name: f.name })) ?? [];
  if (query.feed !== undefined && !feedOptions.some((f) => f.id === query.feed)) feedOptions.push({ id: query.feed, name: query.feed });
  const typeOptions = [...new Set([...Object.keys(stats?.by_type ?? {}), ...TYPES])];

  const resultPart = <ResultTable results={results} onMore={() => void more()} />;
  const statsPart = <Dashboard stats={stats} error={statsError} />;
  return (
    <main class="page">
      <h1>Catalogue</h1>
      <form
        class="catalogue-form"
        role="search"
        aria-label="Catalogue"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(catalogueHref(draft));
        }}
      >
        <div class="catalogue-q">
          <label for="cat-q">Search values</label>
          <input id="cat-q" ref={field} type="search" autocomplete="off" spellcheck={false} placeholder="a value or a part of one (3 characters or more) — press / to focus" value={draft.q ?? ''} onInput={set('q')} />
          <button type="submit">Search</button>
        </div>
        <div class="filters">
          <span>
            <label for="cat-type">Type</label>
            <select id="cat-type" value={draft.type ?? ''} onChange={set('type')}>
              <option value="">any</option>
              {typeOptions.map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
          </span>
          <span>
            <label for="cat-level">Minimum level</label>
            <select id="cat-level" value={draft.level ?? ''} onChange={set('level')}>
              <option value="">any</option>
              {MIN_LEVELS.map((l) => (
                <option value={l}>{l}</option>
              ))}
            </select>
          </span>
          <span>
            <label for="cat-feed">Feed</label>
            <select id="cat-feed" value={draft.feed ?? ''} onChange={set('feed')}>
              <option value="">any</option>
              {feedOptions.map((f) => (
                <option value={f.id}>{f.name}</option>
              ))}
            </select>
          </span>
          <span>
            <label for="cat-technique">Technique</label>
            <input id="cat-technique" class="short" type="text" autocomplete="off" spellcheck={false} placeholder="T1059" value={draft.technique ?? ''} onInput={set('technique')} />
          </span>
          <span>
            <label for="cat-cve">CVE</label>
            <input id="cat-cve" class="short" type="text" autocomplete="off" spellcheck={false} placeholder="CVE-2024-3400" value={draft.cve ?? ''} onInput={set('cve')} />
          </span>
          <span>
            <label for="cat-since">Last seen since</label>
            <input id="cat-since" type="date" value={draft.since ?? ''} onInput={set('since')} />
          </span>
          {draft.family !== undefined && (
            <span>
              <label for="cat-family">Family</label>
              <input id="cat-family" class="short" type="text" value={draft.family} onInput={set('family')} />
            </span>
          )}
          <button type="button" class="secondary" disabled={!filtered} onClick={() => navigate('/catalogue')}>
            Clear
          </button>
        </div>
        {query.q !== undefined && <p class="muted small">The filters narrow the search's results in the page.</p>}
      </form>
      {filtered ? (
        <>
          {resultPart}
          {statsPart}
        </>
      ) : (
        <>
          {statsPart}
          {resultPart}
        </>
      )}
    </main>
  );
}

function ResultTable({ results, onMore }: { results: Results; onMore: () => void }) {
  if (results.state === 'idle') return null;
  if (results.state === 'loading') return <p role="status">Loading indicators…</p>;
  if (results.state === 'error') return <p role="alert" class="error">{results.message}</p>;
  const r = results;
  const heading = r.mode === 'search' ? 'Search results' : 'Indicators';
  return (
    <section aria-labelledby="cat-results-title" class="card" data-testid="catalogue-results">
      <h2 id="cat-results-title">{heading}</h2>
      <p class="muted" role="status" data-testid="catalogue-count">
        {r.mode === 'search'
          ? `${r.rows.length} match${r.rows.length === 1 ? '' : 'es'}`
          : `${r.rows.length} shown of ${r.total === null ? '?' : r.exact ? r.total : `more than ${r.total}`}, newest last seen first`}
      </p>
      {r.rows.length === 0 ? (
        <p>No indicator matches. Not found is not safe: no feed Verdict reads has reported these.</p>
      ) : (
        <div class="table-wrap">
          <table data-testid="catalogue-table">
            <caption class="visually-hidden">{heading}</caption>
            <thead>
              <tr>
                <th scope="col">Indicator</th>
                <th scope="col">Type</th>
                <th scope="col">Level</th>
                <th scope="col">Score</th>
                <th scope="col">Confidence</th>
                <th scope="col">Feeds</th>
                <th scope="col">Last seen</th>
                {r.mode === 'search' && <th scope="col">Match</th>}
              </tr>
            </thead>
            <tbody>
              {r.rows.map((x) => (
                <tr key={`${x.type} ${x.value}`}>
                  <td class="mono value">
                    <InternalLink href={lookupPath(x.type, x.value)}>{x.value}</InternalLink>
                    {!x.listed && <span class="muted small"> (no longer listed)</span>}
                  </td>
                  <td>{x.type}</td>
                  <td>
                    <span class={`level level-${x.risk_score}`}>{x.risk_score}</span>
                  </td>
                  <td>{x.score}</td>
                  <td>{x.confidence}</td>
                  <td class="small">{x.feeds.join(', ')}</td>
                  <td class="nowrap">{date(x.last_seen)}</td>
                  {r.mode === 'search' && <td>{x.match}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {r.next !== null && (
        <button type="button" class="secondary more" disabled={r.loadingMore} onClick={onMore}>
          {r.loadingMore ? 'Loading…' : 'More'}
        </button>
      )}
    </section>
  );
}

/** A horizontal bar chart as a list: each item reads "label count"; the bars are drawing only. */
function Bars({ id, title, rows, tone }: { id: string; title: string; rows: [string, number][]; tone?: (label: string) => string }) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return (
    <figure class="chart" aria-labelledby={`${id}-title`} data-testid={id}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      {rows.length === 0 ? (
        <p class="muted small">None yet.</p>
      ) : (
        <ul class="bars">
          {rows.map(([label, n]) => (
            <li key={label} data-label={label}>
              <span class="bar-label" title={label}>{label}</span>
              <span class="bar-track" aria-hidden="true">
                <span class={`bar-fill ${tone?.(label) ?? ''}`} style={{ width: `${(n / max) * 100}%` }} />
              </span>
              <span class="bar-count">{n.toLocaleString('en')}</span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

const byCount = (r: Record<string, number>): [string, number][] => Object.entries(r).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
const HEALTH_TONE: Record<string, string> = { healthy: 'low', degraded: 'medium', error: 'critical' };

function Dashboard({ stats, error }: { stats: CatalogueStats | null; error: string | null }) {
  if (error !== null) return <p role="alert" class="error">The statistics could not be read: {error}</p>;
  if (stats === null) return <p role="status">Loading statistics…</p>;
  const s = stats;
  const levels = Object.entries(s.by_level).sort((a, b) => levelRank(a[0]) - levelRank(b[0]));
  const feedName = new Map(s.feeds.map((f) => [f.id, f.name]));
  return (
    <section aria-labelledby="stats-title" class="card dashboard" data-testid="stats">
      <h2 id="stats-title">
        Statistics <span class="muted small">— computed {date(s.meta.computed_at)}{s.meta.pending > 0 ? `, ${s.meta.pending} changes still being taken in` : ''}</span>
      </h2>
      <dl class="tiles" data-testid="stats-totals">
        <div>
          <dt>Indicators</dt>
          <dd>{s.total.toLocaleString('en')}</dd>
        </div>
        <div>
          <dt>Listed now</dt>
          <dd>{s.listed.toLocaleString('en')}</dd>
        </div>
        <div>
          <dt>New in 24 h</dt>
          <dd>{s.new.last_24h.toLocaleString('en')}</dd>
        </div>
        <div>
          <dt>New in 7 days</dt>
          <dd>{s.new.last_7d.toLocaleString('en')}</dd>
        </div>
        <div>
          <dt>New in 30 days</dt>
          <dd>{s.new.last_30d.toLocaleString('en')}</dd>
        </div>
      </dl>
      <div class="charts">
        <Bars id="chart-type" title="Listed by type" rows={byCount(s.by_type)} />
        <Bars id="chart-level" title="Listed by level" rows={levels} tone={(l) => `level-${(LEVELS as readonly string[]).includes(l) ? l : 'info'}`} />
        <Bars id="chart-feed" title="Listed by feed" rows={byCount(s.by_feed).map(([id, n]) => [feedName.get(id) ?? id, n])} />
      </div>
      <div class="tops">
        <Top testId="top-techniques" title="Top techniques" rows={s.top_techniques} link={(t, label) => (
          <a class="chip" href={`https://attack.mitre.org/techniques/${t.replace('.', '/')}/`} target="_blank" rel="noopener noreferrer">
            {label}
          </a>
        )} />
        <Top testId="top-families" title="Top families" rows={s.top_families} link={(f, label) => <InternalLink class="chip" href={catalogueHref({ family: f })}>{label}</InternalLink>} />
        <Top testId="top-cves" title="Top CVEs" rows={s.top_cves} link={(c, label) => <InternalLink class="chip" href={catalogueHref({ cve: c })}>{label}</InternalLink>} />
      </div>
      <h3 id="health-title">Feed health</h3>
      <div class="table-wrap">
        <table data-testid="feed-health" aria-labelledby="health-title">
          <thead>
            <tr>
              <th scope="col">Feed</th>
              <th scope="col">Health</th>
              <th scope="col">Listed</th>
              <th scope="col">Last success</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {s.feeds.map((f) => (
              <tr key={f.id} data-feed={f.id}>
                <td>
                  {f.name}
                  {!f.enabled && <span class="muted"> (disabled)</span>}
                </td>
                <td>
                  <span class={`level level-${HEALTH_TONE[f.status] ?? 'info'}`}>{f.status}</span>
                </td>
                <td>{f.listed_count.toLocaleString('en')}</td>
                <td class="nowrap">{date(f.last_success_at)}</td>
                <td class="small">{f.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** One "Top …" list of the dashboard: each id with its count, as the link `link` makes of it. */
function Top({ testId, title, rows, link }: { testId: string; title: string; rows: { id: string; count: number }[]; link: (id: string, label: ComponentChildren) => ComponentChildren }) {
  return (
    <div data-testid={testId}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p class="muted small">None yet.</p>
      ) : (
        <ul class="chips">
          {rows.map((r) => (
            <li key={r.id}>
              {link(r.id, <>{r.id} <span class="muted">({r.count})</span></>)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
