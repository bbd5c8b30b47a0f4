import { useEffect, useState } from 'preact/hooks';
import { describeFailure, feeds, type FeedStatus } from './api.ts';

export function FeedsPage() {
  const [list, setList] = useState<FeedStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    feeds().then(
      (r) => setList(r.feeds),
      (e: unknown) => setError(describeFailure(e)),
    );
  }, []);
  return (
    <main class="page">
      <h1>Feeds</h1>
      {error !== null && <p role="alert" class="error">{error}</p>}
      {list === null && error === null && <p role="status">Loading feeds…</p>}
      {list !== null && (
        <table>
          <caption class="visually-hidden">Feeds</caption>
          <thead>
            <tr><th scope="col">Feed</th><th scope="col">Category</th><th scope="col">Enabled</th><th scope="col">Status</th></tr>
          </thead>
          <tbody>
            {list.map((f) => (
              <tr key={f.id}>
                <td>{f.name}</td>
                <td>{f.category}</td>
                <td>{f.enabled ? 'yes' : 'no'}</td>
                <td>{typeof f['status'] === 'string' ? f['status'] : JSON.stringify(f['status'] ?? f['last_run'] ?? null)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
