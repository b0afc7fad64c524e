/** Parked long polls of one partition, woken together when an append lands. */
export class Waiters {
  private readonly pending = new Set<() => void>();

  /** Resolves on the next `wakeAll()` or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending.add(done);
    });
  }

  wakeAll(): void {
    for (const done of [...this.pending]) done();
  }

  get size(): number {
    return this.pending.size;
  }
}
