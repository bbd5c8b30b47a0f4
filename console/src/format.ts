/** An ISO timestamp as the console shows it (`2026-01-02 03:04:05 UTC`); '—' for none. */
export const date = (s: string | null | undefined): string => (s ? s.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '—');
