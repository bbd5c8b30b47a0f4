/**
 * A failed file operation in words a person can act on: `no such file: /srv/feeds/iocs.txt`
 * rather than Node's `ENOENT: no such file or directory, open '/srv/feeds/iocs.txt'`. Used
 * wherever such an error reaches a person: command output, run records, API errors.
 */

/** What each error code means for the file, as a phrase the path follows. */
const PHRASES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a folder, not a file',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files, reading',
  ENFILE: 'too many open files, reading',
};

interface SystemError {
  code?: unknown;
  path?: unknown;
}

/** `no such file: PATH` for a file system error Node raised (its own path, else `path`); null for any other error. */
export function fileErrorText(err: unknown, path?: string): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const { code, path: own } = err as SystemError;
  const phrase = typeof code === 'string' ? PHRASES[code] : undefined;
  if (phrase === undefined) return null;
  const where = typeof own === 'string' ? own : path;
  return where === undefined ? phrase : `${phrase}: ${where}`;
}

/** The error's message, with a file system error put as fileErrorText puts it. */
export function errorText(err: unknown, path?: string): string {
  return fileErrorText(err, path) ?? (err instanceof Error ? err.message : String(err));
}
