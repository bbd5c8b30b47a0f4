/**
 * Minimal lexers for SPL and ES|QL, strict on purpose: they accept exactly the string-literal
 * syntax each language defines and throw on anything else (an unknown escape, a raw line break
 * in an ES|QL string, an unterminated literal), so a generator bug cannot slip through as an
 * "odd but parseable" token.
 */

export type Token =
  | { kind: 'string'; text: string; value: string }
  | { kind: 'pipe' | 'open' | 'close' | 'word' | 'punct'; text: string };

const SPL_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"' };
const ESQL_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', n: '\n', r: '\r', t: '\t' };

interface Lexicon {
  escapes: Readonly<Record<string, string>>;
  /** Characters a literal may not hold raw. */
  forbiddenRaw: RegExp;
  open: string;
  close: string;
}

function lex(query: string, lexicon: Lexicon): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"') {
      if (query.startsWith('"""', i)) throw new SyntaxError(`triple-quoted string at ${i}`);
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= query.length) throw new SyntaxError(`unterminated string starting at ${i}`);
        const c = query[j]!;
        if (c === '"') break;
        if (c === '\\') {
          const next = query[j + 1];
          const decoded = next === undefined ? undefined : lexicon.escapes[next];
          if (decoded === undefined) throw new SyntaxError(`unknown escape \\${next ?? ''} at ${j}`);
          value += decoded;
          j += 2;
          continue;
        }
        if (lexicon.forbiddenRaw.test(c)) throw new SyntaxError(`raw ${JSON.stringify(c)} inside a string at ${j}`);
        value += c;
        j++;
      }
      tokens.push({ kind: 'string', text: query.slice(i, j + 1), value });
      i = j + 1;
    } else if (ch === '|') {
      tokens.push({ kind: 'pipe', text: ch });
      i++;
    } else if (ch === lexicon.open || ch === lexicon.close) {
      tokens.push({ kind: ch === lexicon.open ? 'open' : 'close', text: ch });
      i++;
    } else if (/[()=,<>!+\-]/.test(ch)) {
      tokens.push({ kind: 'punct', text: ch });
      i++;
    } else {
      let j = i;
      while (j < query.length && !/[\s"|()=,<>!\[\]]/.test(query[j]!)) j++;
      if (j === i) throw new SyntaxError(`unexpected ${JSON.stringify(ch)} at ${i}`);
      tokens.push({ kind: 'word', text: query.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

export function lexSpl(query: string): Token[] {
  return lex(query, { escapes: SPL_ESCAPES, forbiddenRaw: /(?!)/, open: '[', close: ']' });
}

export function lexEsql(query: string): Token[] {
  return lex(query, { escapes: ESQL_ESCAPES, forbiddenRaw: /[\r\n]/, open: '\u0000', close: '\u0000' });
}

/**
 * The commands of a pipeline, in order: the first word after each top-level pipe. A first
 * segment that does not start with a pipe is SPL's implied `search` when `implied` is given,
 * else its first word (ES|QL's FROM). Bracketed subsearches are returned apart.
 */
export function pipeline(tokens: Token[], implied?: string): { commands: string[]; subsearches: string[][] } {
  const commands: string[] = [];
  const subsearches: string[][] = [];
  let depth = 0;
  let expectCommand = true;
  let inner: Token[] = [];
  tokens.forEach((t, index) => {
    if (depth > 0) {
      if (t.kind === 'open') depth++;
      if (t.kind === 'close') depth--;
      if (depth === 0) subsearches.push(pipeline(inner, implied).commands);
      else inner.push(t);
      return;
    }
    if (t.kind === 'open') {
      depth = 1;
      inner = [];
      return;
    }
    if (t.kind === 'close') throw new SyntaxError('unbalanced ]');
    if (t.kind === 'pipe') {
      expectCommand = true;
      return;
    }
    if (expectCommand) {
      commands.push(index === 0 && implied !== undefined ? implied : t.text);
      expectCommand = false;
    }
  });
  if (depth !== 0) throw new SyntaxError('unbalanced [');
  return { commands, subsearches };
}

/** Token texts with string literals replaced by `<str>`: what must not change with the value. */
export function skeleton(tokens: Token[]): string[] {
  return tokens.map((t) => (t.kind === 'string' ? '<str>' : t.text));
}

export function literalValues(tokens: Token[]): string[] {
  return tokens.flatMap((t) => (t.kind === 'string' ? [t.value] : []));
}
