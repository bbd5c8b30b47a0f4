/**
 * The Reports page: the report list (GET /api/v1/reports, newest first; the title filter `q`,
 * "More" follows links.next) and one report's page (`/reports/{id}`): its title, link, dates,
 * ATT&CK ids, CVEs and indicators, each linking to its lookup. Titles and links are feed data:
 * rendered as text, links only when http(s), with rel="noopener noreferrer".
 */
import { useEffect, useState } from 'preact/hooks';
import { describeFailure, report, reports, type ReportDetail, type ReportSummary } from './api.ts';
import { ExternalLink, InternalLink } from './card.tsx';
import { lookupPath } from './router.ts';
import { date } from './format.ts';

export const reportPath = (id: string): string => `/reports/${encodeURIComponent(id)}`;

/** `/reports/{id}` → the id; null for the list. */
export function reportTarget(path: string): string | null {
  const m = /^\/reports\/([^/]+)\/?$/.exec(path);
  if (m === null || m[1] === undefined) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

function Techniques({ ids }: { ids: string[] }) {
  if (ids.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="chips">
      {ids.map((id) => (
        <li key={id}>
          <a class="chip" href={`https://attack.mitre.org/techniques/${id.replace('.', '/')}/`} target="_blank" rel="noopener noreferrer">
            {id}
          </a>
        </li>
      ))}
    </ul>
  );
}

export function ReportsPage({ path }: { path: string }) {
  const id = reportTarget(path);
  return id === null ? <ReportList /> : <ReportPage id={id} />;
}

function ReportList() {
  const [q, setQ] = useState('');
  const [list, setList] = useState<ReportSummary[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function load(filter: string, more?: string) {
    setLoading(true);
    setError(null);
    try {
      const page = await reports(filter, more);
      setList((old) => (more !== undefined && old !== null ? [...old, ...page.reports] : page.reports));
      setNext(page.links.next);
    } catch (e) {
      setError(describeFailure(e));
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => void load(''), []);

  return (
    <main class="page">
      <h1>Reports</h1>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void load(q);
        }}
      >
        <label for="report-q">Title contains</label>
        <input id="report-q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button type="submit" disabled={loading}>
          Filter
        </button>
      </form>
      {error !== null && <p role="alert" class="error">{error}</p>}
      <div aria-live="polite">{loading && <p role="status">Loading reports…</p>}</div>
      {list !== null && list.length === 0 && <p>No reports{q.trim() !== '' ? ' match this filter' : ''}.</p>}
      {list !== null && list.length > 0 && (
        <div class="table-wrap">
          <table data-testid="report-table">
            <caption class="visually-hidden">Reports, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Feed</th>
                <th scope="col">Published</th>
                <th scope="col">Read</th>
                <th scope="col">Indicators</th>
                <th scope="col">ATT&amp;CK</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-report={r.id}>
                  <td>
                    <InternalLink href={reportPath(r.id)}>{r.title}</InternalLink>
                  </td>
                  <td class="mono small">{r.feed_id}</td>
                  <td>{date(r.published)}</td>
                  <td>{date(r.fetched)}</td>
                  <td>{r.indicator_count}</td>
                  <td class="small">{r.attack_ids.join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next !== null && (
        <button type="button" class="secondary" disabled={loading} onClick={() => void load(q, next)}>
          More
        </button>
      )}
    </main>
  );
}

function ReportPage({ id }: { id: string }) {
  const [r, setR] = useState<ReportDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setR(null);
    setError(null);
    report(id).then(setR, (e: unknown) => setError(describeFailure(e)));
  }, [id]);

  return (
    <main class="page">
      <p>
        <InternalLink href="/reports">← All reports</InternalLink>
      </p>
      {error !== null && (
        <>
          <h1>Report</h1>
          <p role="alert" class="error">{error}</p>
        </>
      )}
      {r === null && error === null && <p role="status">Loading the report…</p>}
      {r !== null && (
        <article class="card" data-testid="report">
          <h1 class="report-title">{r.title}</h1>
          <dl class="facts">
            <dt>Link</dt>
            <dd>{r.url === null ? '—' : <ExternalLink href={r.url}>{r.url}</ExternalLink>}</dd>
            <dt>Feed</dt>
            <dd class="mono">{r.feed_id}</dd>
            <dt>Published</dt>
            <dd>{date(r.published)}</dd>
            <dt>Read</dt>
            <dd>{date(r.fetched)}</dd>
            <dt>ATT&amp;CK</dt>
            <dd>
              <Techniques ids={r.attack_ids} />
            </dd>
            <dt>CVEs</dt>
            <dd>
              {r.cves.length === 0
                ? '—'
                : r.cves.map((c, i) => (
                    <span key={c}>
                      {i > 0 && ', '}
                      <InternalLink href={lookupPath('cve', c)}>{c}</InternalLink>
                    </span>
                  ))}
            </dd>
          </dl>
          <h2>Indicators ({r.indicators.length})</h2>
          {r.indicators.length === 0 ? (
            <p class="muted">This report names no indicator.</p>
          ) : (
            <div class="table-wrap">
              <table data-testid="report-indicators">
                <caption class="visually-hidden">The report's indicators, in order of first mention</caption>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Indicator</th>
                  </tr>
                </thead>
                <tbody>
                  {r.indicators.map((x) => (
                    <tr key={`${x.type}:${x.value}`}>
                      <td>{x.type}</td>
                      <td class="mono">
                        <InternalLink href={lookupPath(x.type, x.value)}>{x.value}</InternalLink>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </article>
      )}
    </main>
  );
}
