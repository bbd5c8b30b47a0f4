/**
 * Per-request loggers made lazily. Fastify gives every request a child logger bound to its id;
 * building a pino child costs more than a cached lookup, so the child is only built when the
 * request actually writes a line at an enabled level.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level } from 'pino';

type Parent = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

export class LazyRequestLogger {
  #parent: Parent;
  #bindings: Bindings;
  #opts: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: Parent, bindings: Bindings, opts: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#opts = opts;
  }

  #get(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#opts);
    return this.#child;
  }

  #write(level: Level, args: unknown[]): void {
    if (!this.#parent.isLevelEnabled(level)) return;
    (this.#get()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level;
  }
  set level(v: string) {
    this.#get().level = v;
  }
  isLevelEnabled(level: string): boolean {
    return this.#parent.isLevelEnabled(level);
  }
  // prototype methods, not per-instance arrow functions: one of these is made per request
  fatal(...a: unknown[]): void {
    this.#write('fatal', a);
  }
  error(...a: unknown[]): void {
    this.#write('error', a);
  }
  warn(...a: unknown[]): void {
    this.#write('warn', a);
  }
  info(...a: unknown[]): void {
    this.#write('info', a);
  }
  debug(...a: unknown[]): void {
    this.#write('debug', a);
  }
  trace(...a: unknown[]): void {
    this.#write('trace', a);
  }
  silent(): void {}
  child(bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#get().child(bindings, opts);
  }
}

export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  // pino loggers have isLevelEnabled; anything else gets the ordinary child
  if (typeof (logger as Partial<Parent>).isLevelEnabled !== 'function') return logger.child(bindings, opts);
  return new LazyRequestLogger(logger as Parent, bindings, opts) as unknown as FastifyBaseLogger;
}
