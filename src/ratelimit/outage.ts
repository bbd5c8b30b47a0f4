/**
 * An outage of a dependency (Redis, the store), logged once when it starts and once when it
 * ends, with how many requests it answered meanwhile — never a line per request. Used by each
 * Redis client's users (rate limiter, lookup cache, failed-authentication counts) and by the
 * HTTP layer for the store. No dependency of its own, so the HTTP app loads it without Redis's
 * client.
 */
import type { Logger } from 'pino';

/** The part of a logger the outage log needs (a pino.Logger fits). */
export type OutageLogger = Pick<Logger, 'error' | 'info'>;

/**
 * Whether a dependency is down, for the users of one client. The first failure — a refused
 * connection, or a command that timed out on a connection that accepts but never answers — marks
 * it down: from then on requests do not ask it at all (each answers from the policy at once)
 * while a background probe asks every `probeMs`; the first probe that succeeds ends the outage.
 * The outage is logged once when it starts and once when it ends, with how many requests it
 * answered from the policy meanwhile.
 */
export interface OutageLog {
  readonly down: boolean;
  failed(err: unknown): void;
  recovered(): void;
  /** A request answered from the policy because the dependency is down (counted for the closing log line). */
  skipped(): void;
  /** Stops the probe (the client is closing). */
  stop(): void;
}

export interface OutageOptions {
  /** Asks the dependency whether it answers again (a PING); resolves when it does. Without it, the next successful command ends the outage. */
  probe?: () => Promise<unknown>;
  probeMs?: number;
  /** What is down, as the log lines name it. Default `Redis`. */
  service?: string;
  /** The field of the closing line that counts the requests answered during the outage. Default `answered_without_redis`. */
  countField?: string;
}

export function createOutageLog(logger: OutageLogger, component: string, consequence: string, opts: OutageOptions = {}): OutageLog {
  let down = false;
  let since = 0;
  let answered = 0;
  let timer: NodeJS.Timeout | null = null;
  let probing = false;
  const probeMs = opts.probeMs ?? 1000;
  const service = opts.service ?? 'Redis';
  const countField = opts.countField ?? 'answered_without_redis';
  const stopProbe = (): void => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  const log: OutageLog = {
    get down() {
      return down;
    },
    failed(err: unknown) {
      if (down) return;
      down = true;
      since = Date.now();
      answered = 0;
      logger.error({ err, component }, `${component}: ${service} unreachable, ${consequence}`);
      const probe = opts.probe;
      if (probe === undefined) return;
      timer = setInterval(() => {
        if (probing) return;
        probing = true;
        probe().then(
          () => {
            probing = false;
            log.recovered();
          },
          () => {
            probing = false;
          },
        );
      }, probeMs);
      // a probe never keeps the process alive
      timer.unref();
    },
    recovered() {
      if (!down) return;
      down = false;
      stopProbe();
      logger.info({ component, outage_ms: Date.now() - since, [countField]: answered }, `${component}: ${service} reachable again`);
    },
    skipped() {
      answered += 1;
    },
    stop: stopProbe,
  };
  return log;
}
