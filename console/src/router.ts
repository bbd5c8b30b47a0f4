/** The console's pages are paths (deep links); the server answers each with this app. */
import { useEffect, useState } from 'preact/hooks';

export function navigate(path: string, replace = false): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return path;
}

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
