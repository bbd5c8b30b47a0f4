/**
 * The Feeds page: each feed's health, last and next run, counts and data age; for admins the
 * last error and a "Run now" button (POST /api/v1/feeds/{id}/sync). Feed-supplied text (names,
 * error messages) is rendered as text.
 */
import { useEffect, useState } from 'preact/hooks';
import { describeFailure, feeds, syncFeed, type FeedRun, type FeedStatus } from './api.ts';
import { date } from './format.ts';

/** "3 h ago", "in 20 min": how far a time is from now, in the largest whole unit. */
export function relative(iso: string | null, now: number): string {
  if (iso === null) return '—';
  const ms = Date.parse(iso) - now;
  if (!Number.isFinite(ms)) return iso;
  const abs = Math.abs(ms);
  if (abs < 1000) return 'now';
  const [n, unit] = abs < 60_000 ? [Math.round(abs / 1000), 's'] : abs < 3_600_000 ? [Math.round(abs / 60_000), 'min'] : abs < 172_800_000 ? [Math.round(abs / 3_600_000), 'h'] : [Math.round(abs / 86_400_000), 'd'];
  return ms < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

function health(f: FeedStatus): { label: string; tone: string } {
  if (f.orphaned) return { label: 'orphaned', tone: 'info' };
  if (!f.enabled) return { label: 'disabled', tone: 'info' };
  const h = f.health;
  if (h.last_run?.status === 'running') return { label: 'running', tone: 'info' };
  if (h.last_error_at !== null && (h.last_success_at === null || h.last_error_at > h.last_success_at)) return { label: 'failing', tone: 'critical' };
  if (h.last_success_at === null) return { label: 'never run', tone: 'medium' };
  return { label: 'healthy', tone: 'low' };
}

export function FeedsPage({ admin }: { admin: boolean }) {
  const [list, setList] = useState<FeedStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; failed: boolean } | null>(null);

  function load() {
    feeds().then(
      (r) => setList(r.feeds),
      (e: unknown) => setError(describeFailure(e)),
    );
  }
  useEffect(load, []);

  async function runNow(f: FeedStatus) {
    setRunning(f.id);
    setMessage(null);
    try {
      const run: FeedRun = await syncFeed(f.id);
      const r = run.result;
      setMessage(
        run.status === 'failure'
          ? { text: `${f.name}: the run failed${run.error ? `: ${run.error}` : '.'}`, failed: true }
          : { text: `${f.name}: ${run.status}${r ? ` — ${r.received} received, ${r.added} added, ${r.updated} updated, ${r.delisted} delisted` : ''}${run.rejected ? `, ${run.rejected} rejected` : ''}.`, failed: false },
      );
    } catch (e) {
      setMessage({ text: `${f.name}: ${describeFailure(e)}`, failed: true });
    } finally {
      setRunning(null);
      load();
    }
  }

  const now = Date.now();
  return (
    <main class="page">
      <h1>Feeds</h1>
      {error !== null && <p role="alert" class="error">{error}</p>}
      {list === null && error === null && <p role="status">Loading feeds…</p>}
      <div aria-live="polite">{message !== null && <p class={message.failed ? 'error' : 'muted'} data-testid="run-message">{message.text}</p>}</div>
      {list !== null && (
        <div class="table-wrap">
          <table data-testid="feed-table">
            <caption class="visually-hidden">Feeds and their health</caption>
            <thead>
              <tr>
                <th scope="col">Feed</th>
                <th scope="col">Category</th>
                <th scope="col">Health</th>
                <th scope="col">Last run</th>
                <th scope="col">Next run</th>
                <th scope="col">Listed / kept</th>
                <th scope="col">Data as of</th>
                {admin && <th scope="col">Last error</th>}
                {admin && <th scope="col"><span class="visually-hidden">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {list.map((f) => {
                const h = health(f);
                const last = f.health.last_run;
                return (
                  <tr key={f.id} data-feed={f.id}>
                    <td>
                      {f.name} <span class="muted small mono">{f.id}</span>
                    </td>
                    <td>{f.category}</td>
                    <td>
                      <span class={`level level-${h.tone}`}>{h.label}</span>
                    </td>
                    <td>
                      {last === null ? (
                        'never'
                      ) : (
                        <span title={date(last.started_at)}>
                          {relative(last.finished_at ?? last.started_at, now)} <span class="muted">({last.status})</span>
                        </span>
                      )}
                    </td>
                    <td title={date(f.health.next_run_at)}>{relative(f.health.next_run_at, now)}</td>
                    <td>
                      {f.health.listed_count} / {f.health.total_count}
                    </td>
                    <td title={date(f.health.data_as_of)}>{relative(f.health.data_as_of, now)}</td>
                    {admin && <td class="small">{f.health.last_error ?? '—'}</td>}
                    {admin && (
                      <td>
                        {!f.orphaned && (
                          <button type="button" class="secondary" disabled={running !== null} onClick={() => void runNow(f)}>
                            {running === f.id ? 'Running…' : 'Run now'}
                            <span class="visually-hidden"> {f.name}</span>
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
