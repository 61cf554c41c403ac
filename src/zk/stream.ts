/**
 * One end of a client connection's ordered stream, as TCP gives ZooKeeper:
 * outgoing messages are numbered and kept until the other end says it has
 * them; incoming ones are delivered in number order, each once, however the
 * network dropped, duplicated or reordered them. The client and the server
 * each hold one per connection; pings and pongs carry `next` both ways, and
 * `acknowledged` sends again what the other end lacks.
 */
export class OrderedStream<Out extends { readonly seq: number }, In extends { readonly seq: number }> {
  private outSeq = 0;
  private inNext = 1;
  /** The next message in order, when it arrived as the next one (the usual case: no map work). */
  private ready: In | null = null;
  private readonly inBuffer = new Map<number, In>();
  private readonly sent = new Map<number, Out>();

  constructor(
    /** Out-of-order messages held at most; past it the stream is broken. */
    private readonly inBufferMax: number,
    /** Unacknowledged messages kept at most; past it the other end is gone. */
    private readonly sentMax: number,
  ) {}

  /** The sequence number this end expects next (what a ping or pong tells the other end). */
  get next(): number {
    return this.inNext;
  }

  /**
   * Numbers a message built for this send alone (stamped in place, to save a
   * copy per message) and keeps it to send again. False when too many are
   * unacknowledged: the other end is gone and the message must not be sent.
   */
  stamp(msg: Out): boolean {
    if (this.sent.size >= this.sentMax) return false;
    this.outSeq++;
    (msg as { seq: number }).seq = this.outSeq;
    this.sent.set(this.outSeq, msg);
    return true;
  }

  /**
   * Takes an arriving message; drain `take` after each call for what is now
   * deliverable. False when the reorder buffer overflows (the stream is broken).
   */
  accept(msg: In): boolean {
    if (msg.seq === this.inNext && this.inBuffer.size === 0 && this.ready === null) {
      this.ready = msg;
      return true;
    }
    if (msg.seq < this.inNext || (this.ready !== null && msg.seq === this.ready.seq) || this.inBuffer.has(msg.seq)) return true; // a duplicate
    if (this.inBuffer.size >= this.inBufferMax) return false;
    this.inBuffer.set(msg.seq, msg);
    return true;
  }

  /** The next message in order, or undefined until it arrives. */
  take(): In | undefined {
    let msg: In | undefined;
    if (this.ready !== null) {
      msg = this.ready;
      this.ready = null;
    } else {
      msg = this.inBuffer.get(this.inNext);
      if (msg === undefined) return undefined;
      this.inBuffer.delete(this.inNext);
    }
    this.inNext++;
    return msg;
  }

  /** The other end has everything below `next`: forget it, and pass on, to send again, what it lacks. */
  acknowledged(next: number, resend: (msg: Out) => void): void {
    // Kept in stamp order, so the acknowledged ones come first.
    for (const seq of this.sent.keys()) {
      if (seq >= next) break;
      this.sent.delete(seq);
    }
    for (const msg of this.sent.values()) resend(msg);
  }
}
