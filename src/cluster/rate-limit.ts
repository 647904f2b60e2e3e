// --kube-api-qps / --kube-api-burst: client-go's token bucket (flowcontrol.NewTokenBucketRateLimiter),
// applied only when the user asks for it; otherwise --concurrency alone bounds podo's load.
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Reservations are served in order: a waiting request holds its place. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Resolves when a request may be sent. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.takeNow());
    this.queue = turn;
    return turn;
  }

  private async takeNow(): Promise<void> {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    const wait = ((1 - this.tokens) / this.qps) * 1000;
    await this.clock.sleep(wait);
    this.tokens = 0;
    this.last = this.clock.now();
  }
}

/** The limiter for the flags given: none without --kube-api-qps; burst defaults to the qps (at least 1). */
export function rateLimiter(qps: number | undefined, burst: number | undefined): TokenBucket | undefined {
  if (qps === undefined) return undefined;
  return new TokenBucket(qps, burst ?? Math.max(1, Math.ceil(qps)));
}
