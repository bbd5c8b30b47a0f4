import { useEffect, useRef, useState } from 'preact/hooks';
import { describeFailure, lookup, type LookupResult } from './api.ts';
import { lookupPath, lookupTarget, navigate } from './router.ts';
import { ResultCard } from './card.tsx';
import { API_ANSWER_MARK } from './perf.ts';
import { useSlashFocus } from './slash-focus.ts';

type State = { state: 'idle' } | { state: 'loading'; value: string } | { state: 'error'; message: string } | { state: 'done'; result: LookupResult };


export function LookupPage({ path, admin = false }: { path: string; admin?: boolean }) {
  const target = lookupTarget(path);
  const [input, setInput] = useState(target?.value ?? '');
  const [state, setState] = useState<State>({ state: 'idle' });
  const field = useRef<HTMLInputElement>(null);
  const latest = useRef(0);

  async function run(value: string, type?: string) {
    const n = ++latest.current;
    setState({ state: 'loading', value });
    try {
      const result = await lookup(value, type);
      if (n !== latest.current) return;
      performance.mark(API_ANSWER_MARK);
      setState({ state: 'done', result });
      navigate(lookupPath(result.type, result.value), true);
    } catch (e) {
      if (n === latest.current) setState({ state: 'error', message: describeFailure(e) });
    }
  }

  // a deep link (or the back button) looks its indicator up, unless that is what is shown
  useEffect(() => {
    if (target === null) return;
    if (state.state === 'done' && state.result.value === target.value) return;
    setInput(target.value);
    void run(target.value, target.type);
  }, [path]);

  useSlashFocus(field);

  /**
   * After an override is saved or removed: the indicator looked up again, the card kept in place.
   * Cached lookups see the change within the data-version window (100 ms by default), so an
   * answer without it is asked again a few times.
   */
  async function refresh(verdict: 'allow' | 'deny' | null) {
    if (state.state !== 'done') return;
    const { type, value } = state.result;
    const n = latest.current;
    for (let attempt = 0; ; attempt++) {
      const result = await lookup(value, type);
      if (n !== latest.current) return;
      // the analyst override's factor: an internal list's names its feed
      const applied = result.risk.factors.find((f) => f.kind === 'override' && f.feed_id === undefined);
      if ((verdict === null ? applied === undefined : applied?.verdict === verdict) || attempt >= 5) {
        setState({ state: 'done', result });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  function submit(e: Event) {
    e.preventDefault();
    const v = input.trim();
    if (v === '') {
      setState({ state: 'error', message: 'Type or paste an indicator first: an IP, domain, URL, hash, CVE, ATT&CK id or email address (defanged is fine).' });
      return;
    }
    void run(v);
  }

  return (
    <main class="page">
      <h1 class="visually-hidden">Lookup</h1>
      <form class="lookup" role="search" onSubmit={submit}>
        <label for="indicator">Indicator</label>
        <input
          id="indicator"
          ref={field}
          type="text"
          autoFocus
          autocomplete="off"
          spellcheck={false}
          placeholder="1.2.3.4, evil[.]example, hxxps://…, a hash, CVE-…, T1059 — press / to focus"
          value={input}
          onInput={(e) => setInput((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Look up</button>
      </form>
      <div aria-live="polite">
        {state.state === 'loading' && <p role="status">Looking up {state.value}…</p>}
        {state.state === 'error' && (
          <p role="alert" class="error">
            {state.message}
          </p>
        )}
      </div>
      {state.state === 'done' && <ResultCard result={state.result} admin={admin} onOverride={refresh} />}
    </main>
  );
}
