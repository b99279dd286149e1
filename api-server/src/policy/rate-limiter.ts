// Counters for rate_limit rules: in this process, one window per (rule, agent or grant).
// A window starts at the first use it counts and lasts the rule's period, so that no two
// callers' windows reset at the same instant. With several replicas, each counts its own
// uses: a limit of N is at most N per replica (put a shared limiter in front if that matters).

export interface RateCount {
  /** This use is past the rule's limit. */
  over: boolean;
  /** Seconds until the window ends (at least 1): the Retry-After of a rate_limited answer. */
  retryAfterSeconds: number;
}

const DEFAULT_MAX_KEYS = 100_000;

export class RateLimiter {
  private readonly windows = new Map<string, { endsAt: number; count: number }>();

  constructor(private readonly maxKeys = DEFAULT_MAX_KEYS) {}

  /** Counts one use against `requests` per `perSeconds` under `key`. */
  hit(key: string, limit: { requests: number; perSeconds: number }, nowMs: number): RateCount {
    let window = this.windows.get(key);
    if (!window || nowMs >= window.endsAt) {
      if (window) this.windows.delete(key);
      else if (this.windows.size >= this.maxKeys) this.sweep(nowMs);
      window = { endsAt: nowMs + limit.perSeconds * 1000, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { over: window.count > limit.requests, retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt - nowMs) / 1000)) };
  }

  /** Drops the windows that ended; if none did, the oldest ones (their callers start afresh). */
  private sweep(nowMs: number): void {
    for (const [key, window] of this.windows) if (nowMs >= window.endsAt) this.windows.delete(key);
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys * 0.9) break;
      this.windows.delete(key);
    }
  }

  get size(): number {
    return this.windows.size;
  }
}
