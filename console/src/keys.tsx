/**
 * The Keys page (admin): create a key (name, tier, scopes; the key is shown once, with a copy
 * button, and kept nowhere by the page), the keys listed, and revoke. Writes carry the session's
 * CSRF token (api.ts). The API refuses these routes to any other key.
 */
import { useEffect, useState } from 'preact/hooks';
import { SCOPES, TIERS, createKey, describeFailure, listKeys, revokeKey, type ApiKey, type Scope } from './api.ts';
import { date } from './format.ts';

export function KeysPage({ selfId }: { selfId: string }) {
  const [list, setList] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [tier, setTier] = useState<string>('pro');
  const [scopes, setScopes] = useState<Scope[]>(['read:lookup']);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [message, setMessage] = useState<{ text: string; failed: boolean } | null>(null);

  function load() {
    listKeys().then(
      (r) => setList(r.keys),
      (e: unknown) => setError(describeFailure(e)),
    );
  }
  useEffect(load, []);

  async function create(e: Event) {
    e.preventDefault();
    setMessage(null);
    setCreated(null);
    if (name.trim() === '') return setMessage({ text: 'Give the key a name.', failed: true });
    if (scopes.length === 0) return setMessage({ text: 'Choose at least one scope.', failed: true });
    setBusy(true);
    try {
      const k = await createKey({ name: name.trim(), tier, scopes });
      setCreated({ name: k.name, key: k.key });
      setName('');
      load();
    } catch (err) {
      setMessage({ text: describeFailure(err), failed: true });
    } finally {
      setBusy(false);
    }
  }

  async function revoke(k: ApiKey) {
    if (!confirm(`Revoke the key "${k.name}" (${k.key_prefix}…)? Requests with it are refused at once.`)) return;
    setMessage(null);
    try {
      await revokeKey(k.id);
      setMessage({ text: `Revoked ${k.name} (${k.key_prefix}…).`, failed: false });
    } catch (err) {
      setMessage({ text: describeFailure(err), failed: true });
    }
    load();
  }

  async function copy() {
    if (created === null) return;
    try {
      await navigator.clipboard.writeText(created.key);
      setMessage({ text: 'Copied the key.', failed: false });
    } catch {
      setMessage({ text: 'The browser refused the clipboard: select the key and copy it by hand.', failed: true });
    }
  }

  const toggle = (s: Scope, on: boolean) => setScopes((old) => (on ? [...old.filter((x) => x !== s), s] : old.filter((x) => x !== s)));

  return (
    <main class="page">
      <h1>API keys</h1>
      <section class="card" aria-labelledby="new-key">
        <h2 id="new-key">New key</h2>
        <form onSubmit={create} class="key-form">
          <label for="key-name">Name</label>
          <input id="key-name" value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
          <label for="key-tier">Tier</label>
          <select id="key-tier" value={tier} onChange={(e) => setTier(e.currentTarget.value)}>
            {TIERS.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map((s) => (
              <label class="check" key={s}>
                <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => toggle(s, e.currentTarget.checked)} /> {s}
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={busy}>
            Create key
          </button>
        </form>
        {created !== null && (
          <div class="created" data-testid="created-key">
            <p>
              The key for <strong>{created.name}</strong> — shown this once; Verdict keeps only its hash:
            </p>
            <p>
              <code class="mono" aria-label="New API key">
                {created.key}
              </code>{' '}
              <button type="button" class="secondary" onClick={() => void copy()}>
                Copy key
              </button>
            </p>
          </div>
        )}
      </section>
      <div aria-live="polite">{message !== null && <p class={message.failed ? 'error' : 'muted'} data-testid="key-message">{message.text}</p>}</div>
      {error !== null && <p role="alert" class="error">{error}</p>}
      {list === null && error === null && <p role="status">Loading keys…</p>}
      {list !== null && (
        <div class="table-wrap">
          <table data-testid="key-table">
            <caption class="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Tier</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id} data-key={k.id}>
                  <td>{k.name}</td>
                  <td class="mono">{k.key_prefix}…</td>
                  <td>{k.tier}</td>
                  <td class="small">{k.scopes.join(', ')}</td>
                  <td>{date(k.created_at)}</td>
                  <td>{date(k.last_used_at)}</td>
                  <td>{date(k.expires_at)}</td>
                  <td>{k.revoked_at !== null ? `revoked ${date(k.revoked_at)}` : 'active'}</td>
                  <td>
                    {k.revoked_at === null && k.id !== selfId && (
                      <button type="button" class="secondary" onClick={() => void revoke(k)}>
                        Revoke<span class="visually-hidden"> {k.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
