/** The console's pages are paths (deep links); the server answers each with this app. */
import { useEffect, useState } from 'preact/hooks';

/** Goes to `path` (a path with an optional `?query`); nothing when the address is that already. */
export function navigate(path: string, replace = false): void {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** A part of the address, kept up to date as it changes (navigate, links, the back button). */
function useAddress(read: () => string): string {
  const [value, setValue] = useState(read);
  useEffect(() => {
    const onPop = () => setValue(read());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return value;
}

export const usePath = (): string => useAddress(() => location.pathname);

/** The address's query (`?…`, or '' when it has none). */
export const useSearch = (): string => useAddress(() => location.search);

/** `/lookup/{type}/{value}` → its parts (the value is one encoded segment); `any` means no type. */
export function lookupTarget(path: string): { type: string | undefined; value: string } | null {
  const m = /^\/lookup\/([^/]+)\/([^/]+)\/?$/.exec(path);
  if (m === null || m[1] === undefined || m[2] === undefined) return null;
  try {
    const type = decodeURIComponent(m[1]);
    return { type: type === 'any' ? undefined : type, value: decodeURIComponent(m[2]) };
  } catch {
    return null;
  }
}

export const lookupPath = (type: string, value: string): string => `/lookup/${encodeURIComponent(type)}/${encodeURIComponent(value)}`;
