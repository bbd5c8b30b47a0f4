/**
 * The lookup result card. Everything from feeds (comments, family names, report titles, URLs) is
 * rendered as text by Preact, never as markup; links from feed data open in a new tab without
 * opener or referrer, and only when clicked.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useState } from 'preact/hooks';
import type { LookupResult, Source } from './api.ts';
import { API_ANSWER_MARK, CARD_RENDER_MEASURE } from './perf.ts';
import { lookupPath, navigate } from './router.ts';
import { Timeline } from './timeline.tsx';
import { OverridePanel } from './override.tsx';
import { date } from './format.ts';

const PLATFORM_NAMES: Record<string, string> = { splunk: 'Splunk', splunk_tstats: 'Splunk tstats', kql: 'Sentinel / Defender (KQL)', sigma: 'Sigma', esql: 'Elastic ES|QL' };

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A link from feed data: http(s) only, in a new tab, no opener, no referrer. */
export function ExternalLink({ href, children }: { href: string; children: ComponentChildren }) {
  if (!/^https?:\/\//i.test(href)) return <span>{href}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

/** A link to a page of the console: a plain click goes there in the page; other clicks (a new tab, a modifier) are the browser's. */
export function InternalLink({ href, children, class: cls }: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={href}
      class={cls}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

/**
 * `admin`: the key may override the verdict (the panel is shown); `onOverride` looks the
 * indicator up again once an override is saved or removed.
 */
export function ResultCard({ result, admin = false, onOverride }: { result: LookupResult; admin?: boolean; onOverride?: (verdict: 'allow' | 'deny' | null) => Promise<void> }) {
  useLayoutEffect(() => {
    // measured to the moment the card is in the document, laid out on the next read
    if (performance.getEntriesByName(API_ANSWER_MARK).length === 0) return;
    void document.body.offsetHeight;
    performance.measure(CARD_RENDER_MEASURE, API_ANSWER_MARK);
    performance.clearMarks(API_ANSWER_MARK);
  }, [result]);

  const r = result;
  const level = r.risk.level;
  return (
    <article class="card" aria-labelledby="result-title" data-testid="result-card">
      <header class="card-head">
        <h2 id="result-title">
          <span class="mono">{r.value}</span> <span class="muted">({r.type})</span>
        </h2>
        <div class="verdict-line">
          <span class={`level level-${level}`}>{level}</span>
          <div class="score">
            <span>
              Score <strong>{r.risk.score}</strong>/100
            </span>
            <div class="bar" role="meter" aria-label="Risk score" aria-valuemin={0} aria-valuemax={100} aria-valuenow={r.risk.score}>
              <div class={`fill level-${level}`} style={{ width: `${Math.max(0, Math.min(100, r.risk.score))}%` }} />
            </div>
          </div>
          <span>
            Confidence <strong>{r.confidence}</strong>
          </span>
          {r.found ? (
            <span class="found">Found in {r.sources.length} source{r.sources.length === 1 ? '' : 's'}</span>
          ) : (
            <span class="not-found">Not found — not found is not safe: no feed Verdict reads has reported it.</span>
          )}
        </div>
        {(r.threat_types.length > 0 || r.malware_families.length > 0 || r.tags.length > 0) && (
          <p class="labels">
            {r.threat_types.map((t) => <span class="tag">{t}</span>)}
            {r.malware_families.map((f) => <span class="tag family">{f}</span>)}
            {r.tags.map((t) => <span class="tag">{t}</span>)}
          </p>
        )}
      </header>

      {r.warninglists.length > 0 && (
        <section aria-labelledby="wl-title" class="warn">
          <h3 id="wl-title">Warning lists</h3>
          <p>The value is on lists of known benign or shared infrastructure — a hit on it is often a false positive:</p>
          <ul>{r.warninglists.map((w) => <li key={w.id}>{w.name}</li>)}</ul>
        </section>
      )}

      <section aria-labelledby="factors-title">
        <h3 id="factors-title">Why</h3>
        {r.risk.factors.length === 0 ? (
          <p class="muted">No factor: nothing reported this indicator.</p>
        ) : (
          <ul class="factors">
            {r.risk.factors.map((f, i) => (
              <li key={i}>
                <span class={`delta ${typeof f.delta === 'number' && f.delta < 0 ? 'neg' : 'pos'}`} aria-label={typeof f.delta === 'number' ? `contribution ${f.delta}` : undefined}>
                  {typeof f.delta === 'number' ? (f.delta > 0 ? `+${f.delta}` : String(f.delta)) : f.kind}
                </span>
                {typeof f.delta === 'number' && (
                  <span class="delta-bar" aria-hidden="true">
                    <span style={{ width: `${Math.min(100, Math.abs(f.delta))}%` }} class={f.delta < 0 ? 'neg' : 'pos'} />
                  </span>
                )}
                <span class="sentence">{f.description}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      {r.sources.length > 0 && <Sources sources={r.sources} />}
      {r.sources.length > 0 && <Timeline sources={r.sources} />}

      {r.mitre_techniques.length > 0 && (
        <section aria-labelledby="attack-title">
          <h3 id="attack-title">ATT&CK techniques</h3>
          <ul class="chips">
            {r.mitre_techniques.map((t) => (
              <li key={t.id}>
                <a class="chip" href={`https://attack.mitre.org/techniques/${t.id.replace('.', '/')}/`} target="_blank" rel="noopener noreferrer" title={`derived from ${t.derived_from}`}>
                  {t.id} {t.name}
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}

      <Hunting queries={r.hunting_queries} />
      <Related related={r.related} />
      {admin && onOverride !== undefined && <OverridePanel type={r.type} value={r.value} onChanged={onOverride} />}
    </article>
  );
}

function Sources({ sources }: { sources: Source[] }) {
  return (
    <section aria-labelledby="sources-title">
      <h3 id="sources-title">Sources</h3>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Feed</th>
              <th scope="col">Category</th>
              <th scope="col">Match</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {sources.map((s, i) => (
              <tr key={i}>
                <td>
                  {s.feed_name}
                  {!s.listed && <span class="muted"> (no longer listed)</span>}
                </td>
                <td>{s.category}</td>
                <td>
                  {s.match}
                  {s.match !== 'exact' && <span class="mono"> {s.matched_value}</span>}
                </td>
                <td>{date(s.first_seen)}</td>
                <td>{date(s.last_seen)}</td>
                <td>
                  <dl class="details">
                    {s.threat_type !== null && (<><dt>threat type</dt><dd>{s.threat_type}</dd></>)}
                    {s.malware_family !== null && (<><dt>family</dt><dd>{s.malware_family}</dd></>)}
                    {s.confidence !== null && (<><dt>feed confidence</dt><dd>{s.confidence}</dd></>)}
                    {Object.entries(s.details).map(([k, v]) => (<><dt>{k.replace(/_/g, ' ')}</dt><dd>{text(v)}</dd></>))}
                    {s.reference_url !== null && (<><dt>reference</dt><dd><ExternalLink href={s.reference_url}>{s.reference_url}</ExternalLink></dd></>)}
                  </dl>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Hunting({ queries }: { queries: Record<string, string> }) {
  const platforms = Object.keys(queries);
  const [tab, setTab] = useState(platforms[0] ?? '');
  const [copied, setCopied] = useState<string | null>(null);
  if (platforms.length === 0) return null;
  const current = queries[tab] ?? '';
  async function copy() {
    try {
      await navigator.clipboard.writeText(current);
      setCopied(tab);
    } catch {
      setCopied(null);
    }
  }
  function onKey(e: KeyboardEvent) {
    const i = platforms.indexOf(tab);
    const next = e.key === 'ArrowRight' ? platforms[(i + 1) % platforms.length] : e.key === 'ArrowLeft' ? platforms[(i - 1 + platforms.length) % platforms.length] : undefined;
    if (next !== undefined) {
      e.preventDefault();
      setTab(next);
      document.getElementById(`tab-${next}`)?.focus();
    }
  }
  return (
    <section aria-labelledby="hunt-title">
      <h3 id="hunt-title">Hunting queries</h3>
      <div role="tablist" aria-label="SIEM platform" onKeyDown={onKey}>
        {platforms.map((p) => (
          <button type="button" role="tab" id={`tab-${p}`} aria-selected={p === tab} aria-controls="hunt-panel" tabIndex={p === tab ? 0 : -1} onClick={() => setTab(p)}>
            {PLATFORM_NAMES[p] ?? p}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="hunt-panel" aria-labelledby={`tab-${tab}`} class="query">
        <pre tabIndex={0}><code>{current}</code></pre>
        <button type="button" class="secondary" onClick={copy}>
          {copied === tab ? 'Copied' : `Copy ${PLATFORM_NAMES[tab] ?? tab} query`}
        </button>
      </div>
    </section>
  );
}

function Related({ related }: { related: LookupResult['related'] }) {
  const n = related.network;
  const reports = related.reports ?? [];
  const kev = related.kev;
  const iocs = related.related_iocs ?? [];
  const titles = new Map(reports.map((rep) => [rep.id, rep.title]));
  if (n === undefined && reports.length === 0 && kev === undefined) return null;
  return (
    <section aria-labelledby="related-title">
      <h3 id="related-title">Related</h3>
      {n !== undefined && (
        <dl class="details network">
          {n.special !== undefined && (<><dt>block</dt><dd>{n.special}</dd></>)}
          <dt>range</dt>
          <dd class="mono">{n.range ?? '—'}</dd>
          <dt>AS</dt>
          <dd>{n.asn === null ? '—' : `${n.asn}${n.as_name ? ` ${n.as_name}` : ''}`}</dd>
          <dt>country</dt>
          <dd>{n.country ?? '—'}</dd>
          {n.note !== undefined && (<><dt>note</dt><dd>{n.note}</dd></>)}
        </dl>
      )}
      {n !== undefined && <p class="muted small">{n.attribution}</p>}
      {kev !== undefined && (
        <p>
          In CISA's Known Exploited Vulnerabilities: {text(kev['vendorProject'] ?? '')} {text(kev['product'] ?? '')}
          {kev['dateAdded'] !== undefined && <>, added {text(kev['dateAdded'])}</>}
        </p>
      )}
      {reports.length > 0 && (
        <>
          <h4>Reports naming it</h4>
          <ul>
            {reports.map((rep) => (
              <li key={rep.id}>
                {rep.url !== null ? <ExternalLink href={rep.url}>{rep.title}</ExternalLink> : rep.title}
                <span class="muted"> — {rep.feed_id}{rep.published !== null ? `, ${date(rep.published)}` : ''}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {iocs.length > 0 && (
        <>
          <h4>Indicators named with it</h4>
          <ul class="related-iocs" data-testid="related-iocs">
            {iocs.map((x) => (
              <li key={`${x.type} ${x.value}`}>
                <InternalLink class="mono" href={lookupPath(x.type, x.value)}>
                  {x.value}
                </InternalLink>{' '}
                <span class="muted small">
                  ({x.type}{titles.has(x.report_id) ? `, in ${titles.get(x.report_id)}` : ''})
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
