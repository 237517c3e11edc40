/**
 * A counting semaphore, first come first served: at most `limit` holders at once, the rest wait in order.
 * Caps SSH handshakes per host and sessions per connection (see ssh.ts).
 */
export class Semaphore {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`a semaphore needs a limit of 1 or more, got ${limit}`);
  }

  /** Resolves when a slot is free; the caller must `release()` it exactly once. */
  async acquire(): Promise<void> {
    if (this.held < this.limit) {
      this.held++;
      return;
    }
    // The releasing holder hands its slot straight to the first waiter, so `held` does not change.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }

  /** Runs `work` holding a slot. */
  async with<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
