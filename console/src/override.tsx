/**
 * An admin's override of a lookup's verdict (PUT/DELETE /api/v1/overrides/{type}/{value}, with
 * the session's CSRF token): deny (known bad) or allow (known good), with a reason. The card is
 * looked up again afterwards, so it shows the level the override fixed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeFailure, getOverride, removeOverride, setOverride, type OverrideView } from './api.ts';
import { date } from './format.ts';

export function OverridePanel({ type, value, onChanged }: { type: string; value: string; onChanged: (verdict: 'allow' | 'deny' | null) => Promise<void> }) {
  const [current, setCurrent] = useState<OverrideView | null | undefined>(undefined);
  const [open, setOpen] = useState(false);
  const [verdict, setVerdict] = useState<'allow' | 'deny'>('deny');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; failed: boolean } | null>(null);
  const reasonField = useRef<HTMLTextAreaElement>(null);
  const opener = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    setCurrent(undefined);
    setOpen(false);
    getOverride(type, value).then(setCurrent, () => setCurrent(null));
  }, [type, value]);
  useEffect(() => {
    if (open) reasonField.current?.focus();
  }, [open]);

  /** Closes the form (Cancel, Escape) and gives the focus back to the button that opened it. */
  function close() {
    setOpen(false);
    setTimeout(() => opener.current?.focus(), 0);
  }

  async function save(e: Event) {
    e.preventDefault();
    if (reason.trim() === '') {
      setMessage({ text: 'Give a reason: it is shown with the verdict to everyone who looks the indicator up.', failed: true });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const o = await setOverride(type, value, { verdict, reason: reason.trim() });
      setCurrent(o);
      setOpen(false);
      setMessage({ text: `Override saved: ${o.verdict}.`, failed: false });
      await onChanged(o.verdict);
    } catch (err) {
      setMessage({ text: describeFailure(err), failed: true });
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setMessage(null);
    try {
      await removeOverride(type, value);
      setCurrent(null);
      setMessage({ text: 'Override removed.', failed: false });
      await onChanged(null);
    } catch (err) {
      setMessage({ text: describeFailure(err), failed: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="override-title" data-testid="override">
      <h3 id="override-title">Analyst override</h3>
      {current === undefined ? (
        <p class="muted small">Reading the override…</p>
      ) : current === null ? (
        <p class="muted small">No override: the verdict is the feeds' evidence.</p>
      ) : (
        <p data-testid="override-current">
          <strong>{current.verdict === 'deny' ? 'Denied' : 'Allowed'}</strong> by an analyst on {date(current.created_at)}: {current.reason}
        </p>
      )}
      <div class="override-actions">
        {!open && (
          <button type="button" class="secondary" ref={opener} aria-expanded={false} aria-controls="override-form" disabled={busy} onClick={() => setOpen(true)}>
            {current ? 'Change override' : 'Override'}
          </button>
        )}
        {current && !open && (
          <button type="button" class="secondary" disabled={busy} onClick={() => void remove()}>
            Remove override
          </button>
        )}
      </div>
      {open && (
        <form
          id="override-form"
          class="override-form"
          onSubmit={save}
          aria-label="Override the verdict"
          onKeyDown={(e) => {
            if (e.key !== 'Escape' || busy) return;
            e.preventDefault();
            close();
          }}
        >
          <fieldset>
            <legend>Verdict</legend>
            <label class="check">
              <input type="radio" name="override-verdict" value="deny" checked={verdict === 'deny'} onChange={() => setVerdict('deny')} /> deny — known bad
            </label>
            <label class="check">
              <input type="radio" name="override-verdict" value="allow" checked={verdict === 'allow'} onChange={() => setVerdict('allow')} /> allow — known good
            </label>
          </fieldset>
          <label for="override-reason">Reason</label>
          <textarea id="override-reason" ref={reasonField} rows={2} maxLength={1000} aria-required="true" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <div class="override-actions">
            <button type="submit" disabled={busy}>
              {busy ? 'Saving…' : 'Save override'}
            </button>
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={close}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
      <div aria-live="polite">
        {message !== null && (
          <p class={message.failed ? 'error' : 'muted'} data-testid="override-message">
            {message.text}
          </p>
        )}
      </div>
    </section>
  );
}
