/**
 * Kusto analysis for tests: @kusto/language-service-next (the official Kusto.Language parser,
 * compiled to JavaScript with Bridge.NET). Its files define globals (`Bridge`, `Kusto`) instead
 * of exporting, so they are loaded with require() and reached through globalThis.
 * The database holds every table from the Microsoft schemas in test/fixtures/siem/kql.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Column {
  name: string;
  type: string;
}

export interface KqlDiagnostic {
  severity: string;
  code: string;
  message: string;
}

export interface KqlAnalysis {
  diagnostics: KqlDiagnostic[];
  /** String literal tokens in order: raw text and decoded value. */
  literals: { text: string; value: string }[];
  /** Token texts with every string literal replaced by `<str>`: the query's structure. */
  skeleton: string[];
}

// `any` on purpose: the bridge's globals are set by a script and carry no module types;
// the surface used here is small and checked by the tests that use it.
type Untyped = any;

let globals: Untyped = null;
let K: Untyped = null;
let B: Untyped = null;

export function loadTables(): Record<string, Column[]> {
  return JSON.parse(readFileSync(new URL('../fixtures/siem/kql/tables.json', import.meta.url), 'utf8')) as Record<string, Column[]>;
}

function init(): void {
  if (globals !== null) return;
  const require = createRequire(import.meta.url);
  require('@kusto/language-service-next/bridge.min.js');
  require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
  const g = globalThis as Untyped;
  K = g.Kusto;
  B = g.Bridge;
  const S = K.Language.Symbols;
  const tables = Object.entries(loadTables()).map(
    ([name, cols]) => new S.TableSymbol.$ctor7(name, `(${cols.map((c) => `['${c.name}']:${c.type}`).join(', ')})`, null),
  );
  const db = new S.DatabaseSymbol.$ctor1('hunting', tables, false);
  globals = K.Language.GlobalState.Default.WithDatabase(db);
}

export function analyzeKql(query: string): KqlAnalysis {
  init();
  const code = K.Language.KustoCode.ParseAndAnalyze(query, globals);
  const diagnostics = (B.toArray(code.GetDiagnostics()) as Untyped[]).map((d) => ({
    severity: String(d.Severity),
    code: String(d.Code),
    message: String(d.Message),
  }));
  const literals: { text: string; value: string }[] = [];
  const skeleton: string[] = [];
  const STRING = K.Language.Syntax.SyntaxKind.StringLiteralToken;
  K.Language.Syntax.SyntaxElement.WalkElements(code.Syntax, (e: Untyped) => {
    if (!e.IsToken) return;
    if (e.Kind === STRING) {
      literals.push({ text: String(e.Text), value: String(e.ValueText) });
      skeleton.push('<str>');
    } else if (e.Text !== '') skeleton.push(String(e.Text));
  });
  return { diagnostics, literals, skeleton };
}
