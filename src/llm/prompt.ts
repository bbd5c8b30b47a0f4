/**
 * The analyst summary's prompt, in one place: what the model is told, and how the evidence is put
 * before it. docs/integrations.md (the analyst summary) quotes it; change both together.
 *
 * The model sees nothing but the JSON it is given — the lookup result (or an extract-and-enrich
 * result) exactly as the API answers it — and is told to write from that alone.
 */

/** Most tokens a summary may take (`max_tokens`): a short paragraph, not a report. */
export const SUMMARY_MAX_TOKENS = 400;

export const SYSTEM_PROMPT = [
  'You are a threat-intelligence analyst writing a short assessment for a SOC analyst.',
  'You are given one JSON document: the result of a threat-intelligence lookup (or of enriching the indicators of a text).',
  'Write only from that document. Do not add facts, actors, campaigns, dates or techniques it does not contain, and do not guess.',
  'Cite the feeds by their feed_name for every claim about what was reported, and give ATT&CK techniques by their id.',
  'State the risk level and confidence exactly as the document gives them; never raise, lower or recompute them.',
  'If found is false, say that no feed reported the indicator and that this does not mean it is safe.',
  'Write at most five sentences of plain text: no headings, no lists, no markdown.',
].join('\n');

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

/** The messages of one summary: the system prompt, then the evidence as JSON. */
export function summaryMessages(kind: 'lookup' | 'text', evidence: unknown): ChatMessage[] {
  const what = kind === 'lookup' ? 'Lookup result' : 'Indicators extracted from a text and their verdicts';
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `${what} (JSON):\n${JSON.stringify(evidence)}` },
  ];
}
