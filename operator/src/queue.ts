// A work queue of object keys: at most `concurrency` reconciles at once, never two for one
// key (a key added while it runs runs once more afterwards), and a failed key comes back
// after a jittered, capped exponential backoff.
export interface QueueMetrics {
  depth: { set(value: number): void };
}

export type Handler = (key: string) => Promise<'done' | 'retry'>;

const BASE_MS = 500;
const MAX_MS = 5 * 60_000;

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private idle: (() => void) | undefined;

  constructor(
    private readonly concurrency: number,
    private readonly handler: Handler,
    private readonly metrics?: QueueMetrics,
  ) {}

  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      if (this.timers.has(key)) return;
      this.timers.set(key, setTimeout(() => (this.timers.delete(key), this.add(key)), delayMs).unref());
      return;
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.metrics?.depth.set(this.ready.length);
    this.pump();
  }

  /** Stops taking work and waits for the reconciles in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.queued.delete(key);
      this.metrics?.depth.set(this.ready.length);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let outcome: 'done' | 'retry' = 'retry';
    try {
      outcome = await this.handler(key);
    } catch {
      // The handler reports its own errors; a throw is a retry.
    }
    this.running.delete(key);
    this.active--;
    if (outcome === 'done') this.failures.delete(key);
    else {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.add(key, Math.min(MAX_MS, BASE_MS * 2 ** (n - 1)) * (0.5 + Math.random() / 2));
    }
    if (this.dirty.delete(key)) this.add(key);
    if (this.active === 0 && this.idle) this.idle();
    this.pump();
  }
}
