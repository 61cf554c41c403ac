/**
 * The leader's view of session liveness (ZooKeeper's SessionTracker with its
 * ExpiryQueue): each session's deadline on the leader's own clock, rounded up
 * to a tick boundary. Because it uses the leader's clock, a skewed or drifting
 * leader expires sessions early or late, as a real one would.
 */
export class SessionTracker {
  private readonly deadlines = new Map<number, number>();
  private readonly closingIds = new Set<number>();

  constructor(private readonly tickUs: number) {}

  /** Any sign of life pushes the deadline to now + timeout, rounded up to the next tick. */
  touch(sessionId: number, timeoutMs: number, nowUs: number): void {
    if (this.closingIds.has(sessionId)) return;
    const deadlineUs = (Math.floor((nowUs + timeoutMs * 1000) / this.tickUs) + 1) * this.tickUs;
    this.deadlines.set(sessionId, deadlineUs);
  }

  forget(sessionId: number): void {
    this.deadlines.delete(sessionId);
    this.closingIds.delete(sessionId);
  }

  /** Sessions whose deadline passed and whose expiry is not proposed yet. */
  expired(nowUs: number): number[] {
    const out: number[] = [];
    for (const [sessionId, deadlineUs] of this.deadlines) if (deadlineUs <= nowUs) out.push(sessionId);
    return out.sort((a, b) => a - b);
  }

  /** The session's expiry is proposed: it is reported no more, and signs of life no longer count. */
  markClosing(sessionId: number): void {
    this.deadlines.delete(sessionId);
    this.closingIds.add(sessionId);
  }

  has(sessionId: number): boolean {
    return this.deadlines.has(sessionId) || this.closingIds.has(sessionId);
  }
}
