/**
 * How an instance learns, without a query per request, that another instance changed the data:
 * every write that bumps the data version (ingest, purge, override change) sends NOTIFY on a
 * channel per schema, inside its transaction, so it is delivered at commit. Each store keeps one
 * listening connection; while it is up, `dataVersion()` is answered from memory and overrides
 * are served from a small in-process cache keyed on that version. While it is down (or reconnecting), every call reads the database,
 * so a lost connection can delay nothing. A heartbeat on the listening connection (every
 * second) re-reads the version, so a silently dead connection (a network partition sends no
 * FIN) stops counting as live within `staleMs`. The window in which another instance may still
 * answer from before a commit is therefore the NOTIFY delivery delay (well under a millisecond
 * on a LAN), and at most `staleMs` if the listening connection dies unnoticed.
 */
import pg from 'pg';

export interface ChangeNotice {
  /** The data version after the change, when it bumped it. */
  v?: number;
}

export interface ChangeListenerOptions {
  config: pg.ClientConfig;
  channel: string;
  /** Reads the current data version (used after every (re)connect). */
  readVersion: () => Promise<number>;
  /** Called whenever the listener goes down: caches must be dropped. */
  onDown: () => void;
  onError?: (err: unknown) => void;
  reconnectMs?: number;
  /** How often the listening connection proves itself alive (ms). Default 1000. */
  heartbeatMs?: number;
  /** In-memory answers stop being trusted this long after the last proof of life (ms). Default 2500. */
  staleMs?: number;
}

export class ChangeListener {
  private client: pg.Client | null = null;
  private healthy = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastAlive = 0;
  version: number | null = null;

  constructor(private readonly o: ChangeListenerOptions) {}

  /** True while notifications are known to arrive: in-memory answers are safe. */
  get live(): boolean {
    return this.healthy && this.version !== null && Date.now() - this.lastAlive < (this.o.staleMs ?? 2500);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private down(err?: unknown): void {
    this.stopHeartbeat();
    const wasHealthy = this.healthy;
    this.healthy = false;
    this.version = null;
    this.o.onDown();
    const c = this.client;
    this.client = null;
    c?.removeAllListeners('notification');
    c?.end().catch(() => {});
    if (err !== undefined && wasHealthy) this.o.onError?.(err);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.o.reconnectMs ?? 1000);
    this.timer.unref();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.o.config);
    client.on('error', (err) => {
      if (this.client === client) this.down(err);
    });
    client.on('end', () => {
      if (this.client === client) this.down();
    });
    client.on('notification', (msg) => {
      if (msg.channel !== this.o.channel || msg.payload === undefined) return;
      let notice: ChangeNotice;
      try {
        notice = JSON.parse(msg.payload) as ChangeNotice;
      } catch {
        return;
      }
      if (typeof notice.v === 'number' && (this.version === null || notice.v > this.version)) this.version = notice.v;
    });
    try {
      await client.connect();
      this.client = client;
      // LISTEN before reading the version: a change committed in between is then not missed
      await client.query(`LISTEN ${this.o.channel}`);
      const v = await this.o.readVersion();
      if (this.client !== client) return;
      this.version = this.version === null ? v : Math.max(this.version, v);
      this.healthy = true;
      this.lastAlive = Date.now();
      this.startHeartbeat(client);
    } catch (err) {
      client.removeAllListeners('notification');
      await client.end().catch(() => {});
      if (this.client === client) this.client = null;
      this.healthy = false;
      this.version = null;
      this.schedule();
    }
  }

  private startHeartbeat(client: pg.Client): void {
    this.stopHeartbeat();
    const every = this.o.heartbeatMs ?? 1000;
    this.heartbeat = setInterval(() => {
      if (this.client !== client) return this.stopHeartbeat();
      client
        .query({ text: 'SELECT data_version AS v FROM store_state WHERE id = 1', query_timeout: every } as pg.QueryConfig)
        .then((r: pg.QueryResult<{ v: string }>) => {
          if (this.client !== client) return;
          const v = Number(r.rows[0]?.v);
          // also covers a notice lost in transit
          if (Number.isFinite(v) && (this.version === null || v > this.version)) this.version = v;
          this.lastAlive = Date.now();
        })
        .catch((err: unknown) => {
          if (this.client === client) this.down(err);
        });
    }, every);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** A change this instance committed itself: known now, without waiting for its own NOTIFY. */
  observe(version: number): void {
    if (this.live && version > (this.version ?? 0)) this.version = version;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopHeartbeat();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.healthy = false;
    const c = this.client;
    this.client = null;
    c?.removeAllListeners();
    c?.on('error', () => {});
    await c?.end().catch(() => {});
  }
}

/** What the store's parts share of the notices: the channel to NOTIFY on, and what is known. */
export class ChangeNotices {
  /** This schema's channel (set once the store knows its schema). */
  channel = 'verdict_changes';
  listener: ChangeListener | null = null;

  /** The data version as the notices tell it, while they are known to arrive; else undefined. */
  liveVersion(): number | undefined {
    const l = this.listener;
    return l !== null && l.live ? (l.version as number) : undefined;
  }

  /** A version this instance committed itself: known now, without waiting for its own notice. */
  committed(version: number): void {
    this.listener?.observe(version);
  }

  /** The notice for a committed version, for `SELECT pg_notify($1, $2)` inside the transaction. */
  notice(version: number): [string, string] {
    return [this.channel, JSON.stringify({ v: version } satisfies ChangeNotice)];
  }
}
