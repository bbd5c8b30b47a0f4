/**
 * The Analyze page: a pasted text or a dropped document (PDF, HTML, .eml) → its indicators with
 * their verdicts (POST /api/v1/extract?enrich=true, the bulk lookup path), references apart, the
 * worst level and the techniques summarized, and the selection exported as CSV or defanged text.
 * Everything extracted is rendered as text.
 */
import { useMemo, useState } from 'preact/hooks';
import { describeFailure, exportLookups, extract, type ExtractResult, type ExtractedIndicator } from './api.ts';
import { lookupPath, navigate } from './router.ts';
import { levelRank, toCsv, toDefangedText } from './indicator-text.ts';

type State = { state: 'idle' } | { state: 'loading' } | { state: 'error'; message: string } | { state: 'done'; result: ExtractResult };
type SortKey = 'value' | 'type' | 'level' | 'score' | 'count';
const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'value', label: 'Indicator' },
  { key: 'type', label: 'Type' },
  { key: 'level', label: 'Level' },
  { key: 'score', label: 'Score' },
  { key: 'count', label: 'Seen in text' },
];

const keyOf = (r: ExtractedIndicator) => `${r.type}\u0000${r.value}`;

function compare(a: ExtractedIndicator, b: ExtractedIndicator, key: SortKey): number {
  switch (key) {
    case 'value':
      return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    case 'type':
      return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
    case 'level':
      // ascending means worst first, as an analyst reads it
      return levelRank(a.verdict?.level) - levelRank(b.verdict?.level);
    case 'score':
      return (a.verdict?.score ?? -1) - (b.verdict?.score ?? -1);
    case 'count':
      return a.count - b.count;
  }
}

export function AnalyzePage({ canExport = false }: { canExport?: boolean }) {
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<State>({ state: 'idle' });

  async function submit(e: Event) {
    e.preventDefault();
    if (file === null && text.trim() === '') {
      setState({ state: 'error', message: 'Paste a text or choose a document (PDF, HTML, .eml or text) first.' });
      return;
    }
    setState({ state: 'loading' });
    try {
      const result = await extract(file !== null ? { file } : { text });
      setState({ state: 'done', result });
    } catch (err) {
      setState({ state: 'error', message: describeFailure(err) });
    }
  }

  function onDrop(e: DragEvent) {
    const f = e.dataTransfer?.files[0];
    if (f === undefined) return;
    e.preventDefault();
    setFile(f);
  }

  return (
    <main class="page">
      <h1>Analyze</h1>
      <form class="analyze" onSubmit={submit} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
        <label for="analyze-text">Text to analyze</label>
        <textarea
          id="analyze-text"
          rows={8}
          spellcheck={false}
          placeholder="Paste a report, an email, a chat log… — or drop a PDF, HTML or .eml file here"
          value={text}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        />
        <div class="analyze-actions">
          <label for="analyze-file">Document (PDF, HTML, .eml or text)</label>
          <input
            id="analyze-file"
            type="file"
            accept=".pdf,.html,.htm,.eml,.txt,application/pdf,text/html,message/rfc822,text/plain"
            onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
          />
          {file !== null && (
            <span class="muted">
              {file.name} ({file.size} bytes) is analyzed instead of the text.{' '}
              <button type="button" class="secondary" onClick={() => setFile(null)}>
                Use the text
              </button>
            </span>
          )}
          <button type="submit" disabled={state.state === 'loading'}>
            Analyze
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {state.state === 'loading' && <p role="status">Extracting and looking up the indicators…</p>}
        {state.state === 'error' && (
          <p role="alert" class="error">
            {state.message}
          </p>
        )}
      </div>
      {state.state === 'done' && <Analysis result={state.result} canExport={canExport} />}
    </main>
  );
}

function Analysis({ result, canExport }: { result: ExtractResult; canExport: boolean }) {
  const indicators = result.distinct.filter((d) => d.role === 'indicator');
  const references = result.distinct.filter((d) => d.role === 'reference');
  const s = result.summary;
  return (
    <section class="card" aria-labelledby="analysis-title" data-testid="analysis">
      <h2 id="analysis-title">
        {indicators.length} indicator{indicators.length === 1 ? '' : 's'}
        {references.length > 0 ? `, ${references.length} reference${references.length === 1 ? '' : 's'}` : ''}
        <span class="muted small"> — {result.document.format}, {result.document.bytes} bytes</span>
      </h2>
      {s !== undefined && (
        <div class="summary" data-testid="analysis-summary">
          <p class="verdict-line">
            <span>
              Worst level{' '}
              {s.worst_level === null ? <strong>none</strong> : <span class={`level level-${s.worst_level}`}>{s.worst_level}</span>}
            </span>
            <span>
              Found <strong>{s.found}</strong> of {s.enriched} looked up
            </span>
            {Object.entries(s.by_level)
              .sort((a, b) => levelRank(a[0]) - levelRank(b[0]))
              .map(([level, n]) => (
                <span class="tag">
                  {level}: {n}
                </span>
              ))}
          </p>
          {s.techniques.length > 0 && (
            <>
              <h3>Techniques</h3>
              <ul class="chips">
                {s.techniques.map((t) => (
                  <li>
                    <a class="chip" href={`https://attack.mitre.org/techniques/${t.id.replace('.', '/')}/`} target="_blank" rel="noopener noreferrer">
                      {t.id} {t.name} ({t.indicators})
                    </a>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {indicators.length === 0 ? <p>No indicators in this text.</p> : <IndicatorTable rows={indicators} canExport={canExport} />}
      {references.length > 0 && (
        <section aria-labelledby="references-title" data-testid="references">
          <h3 id="references-title">References</h3>
          <p class="muted small">Links and names the text cites as sources (advisories, vendor blogs) — not looked up as indicators.</p>
          <ul class="references">
            {references.map((r) => (
              <li>
                <span class="mono">{r.value}</span> <span class="muted">({r.type})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

function IndicatorTable({ rows, canExport }: { rows: ExtractedIndicator[]; canExport: boolean }) {
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'level', dir: 1 });
  const [filter, setFilter] = useState('');
  const [type, setType] = useState('');
  const [selected, setSelected] = useState<Set<string>>(() => new Set(rows.map(keyOf)));
  const [copied, setCopied] = useState<string | null>(null);
  const types = useMemo(() => [...new Set(rows.map((r) => r.type))].sort(), [rows]);

  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return rows
      .filter((r) => (type === '' || r.type === type) && (needle === '' || r.value.toLowerCase().includes(needle) || (r.verdict?.level ?? '').includes(needle)))
      .sort((a, b) => sort.dir * compare(a, b, sort.key) || (a.value < b.value ? -1 : 1));
  }, [rows, filter, type, sort]);
  const chosen = shown.filter((r) => selected.has(keyOf(r)));
  const allShownSelected = shown.length > 0 && chosen.length === shown.length;

  function toggle(r: ExtractedIndicator) {
    const next = new Set(selected);
    if (next.has(keyOf(r))) next.delete(keyOf(r));
    else next.add(keyOf(r));
    setSelected(next);
  }
  function toggleAll() {
    const next = new Set(selected);
    for (const r of shown) {
      if (allShownSelected) next.delete(keyOf(r));
      else next.add(keyOf(r));
    }
    setSelected(next);
  }
  const [exporting, setExporting] = useState(false);
  function save(blob: Blob, name: string) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  function download() {
    save(new Blob([toCsv(chosen)], { type: 'text/csv' }), 'indicators.csv');
  }
  /** The selection's lookup results as one STIX 2.1 bundle, written by the server (POST /api/v1/lookup/export). */
  async function downloadStix() {
    setExporting(true);
    setCopied(null);
    try {
      const blob = await exportLookups(chosen.map((r) => ({ type: r.type, value: r.value })), 'stix');
      save(blob, 'indicators.stix.json');
      setCopied(`Exported ${chosen.length} indicator${chosen.length === 1 ? '' : 's'} as a STIX 2.1 bundle.`);
    } catch (e) {
      setCopied(`The STIX export failed: ${describeFailure(e)}`);
    } finally {
      setExporting(false);
    }
  }
  async function copyDefanged() {
    try {
      await navigator.clipboard.writeText(toDefangedText(chosen));
      setCopied(`Copied ${chosen.length} defanged value${chosen.length === 1 ? '' : 's'}.`);
    } catch {
      setCopied('The browser refused the clipboard: select the values and copy them by hand.');
    }
  }

  return (
    <>
      <div class="table-tools">
        <label for="analyze-filter">Filter indicators</label>
        <input id="analyze-filter" type="search" autocomplete="off" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <label for="analyze-type">Type</label>
        <select id="analyze-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
          <option value="">all types</option>
          {types.map((t) => (
            <option value={t}>{t}</option>
          ))}
        </select>
        <span class="muted" role="status">
          {shown.length} shown, {chosen.length} selected
        </span>
        <button type="button" class="secondary" disabled={chosen.length === 0} onClick={download}>
          Download CSV
        </button>
        <button type="button" class="secondary" disabled={chosen.length === 0} onClick={copyDefanged}>
          Copy defanged
        </button>
        {canExport ? (
          <button type="button" class="secondary" disabled={chosen.length === 0 || exporting} onClick={() => void downloadStix()}>
            {exporting ? 'Exporting…' : 'Download STIX 2.1'}
          </button>
        ) : (
          <span class="muted small">STIX export needs the read:export scope.</span>
        )}
        {copied !== null && <span role="status">{copied}</span>}
      </div>
      <div class="table-wrap">
        <table data-testid="indicator-table">
          <caption class="visually-hidden">Extracted indicators and their verdicts</caption>
          <thead>
            <tr>
              <th scope="col">
                <input type="checkbox" aria-label="Select all shown indicators" checked={allShownSelected} onChange={toggleAll} />
              </th>
              {COLUMNS.map((c) => (
                <th scope="col" aria-sort={sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}>
                  <button type="button" class="sort" onClick={() => setSort({ key: c.key, dir: sort.key === c.key ? (-sort.dir as 1 | -1) : 1 })}>
                    {c.label}
                    <span aria-hidden="true">{sort.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
                  </button>
                </th>
              ))}
              <th scope="col">Confidence</th>
              <th scope="col">Sources</th>
              <th scope="col">Techniques</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const v = r.verdict;
              const path = lookupPath(r.type, r.value);
              return (
                <tr key={keyOf(r)}>
                  <td>
                    <input type="checkbox" aria-label={`Select ${r.value}`} checked={selected.has(keyOf(r))} onChange={() => toggle(r)} />
                  </td>
                  <td class="mono">
                    <a
                      href={path}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(path);
                      }}
                    >
                      {r.value}
                    </a>
                  </td>
                  <td>{r.type}</td>
                  <td>{v === undefined ? <span class="muted">not looked up</span> : <span class={`level level-${v.level}`}>{v.level}</span>}</td>
                  <td>{v?.score ?? '—'}</td>
                  <td>{r.count}</td>
                  <td>{v?.confidence ?? '—'}</td>
                  <td>{v === undefined ? '—' : v.found ? v.sources : 'not found'}</td>
                  <td class="mono small">{v?.techniques.join(', ') || '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
