import type { ClientProcess, ZooKeeper } from "zksim";
import { ZkError } from "zksim";

/**
 * A lock written on zksim's client API, as an application would write it on
 * ZooKeeper's: each contender creates an ephemeral sequential node under
 * /my-lock and waits for the node just before its own to go. A contender
 * gives up after `waitMs` and deletes its node. A broken connection is not
 * the end: the session lives on while the client reconnects, so each step
 * is tried again (the create only after looking for a node it may have made).
 *
 * The planted bug (`trustWatch: true`): when the node it watches goes, a
 * waiter takes the lock without reading the children again. But that node
 * also goes when its owner gives up (or its session expires) while the node
 * before it still holds the lock: then two clients hold it.
 */
export class MyLock {
  private node: string | null = null;

  constructor(
    private readonly zk: ZooKeeper,
    private readonly process: ClientProcess,
    private readonly options: { readonly trustWatch: boolean },
  ) {}

  /** True when this client holds the lock; false when it gave up after `waitMs`. */
  async acquire(waitMs: number): Promise<boolean> {
    await retrying(() => this.zk.create("/my-lock", null)).catch((error: unknown) => {
      if (!(error instanceof ZkError && error.code === "NodeExists")) throw error;
    });
    // A create whose reply was lost may have happened: look for our own node first.
    const node = await retrying(async () => (await this.zk.getEphemerals("/my-lock/lock-"))[0] ?? this.zk.create("/my-lock/lock-", null, { mode: "EPHEMERAL_SEQUENTIAL" }));
    this.node = node;
    const deadlineUs = this.process.now() + waitMs * 1_000;
    for (;;) {
      const children = (await retrying(() => this.zk.getChildren("/my-lock"))).sort(); // %010d suffixes sort as numbers
      const index = children.indexOf(node.slice("/my-lock/".length));
      if (index === 0) return true;
      let wake = () => {};
      const changed = new Promise<"changed">((resolve) => (wake = () => resolve("changed")));
      if ((await retrying(() => this.zk.exists(`/my-lock/${children[index - 1]}`, () => wake()))) === null) continue;
      const leftMs = Math.max(0, (deadlineUs - this.process.now()) / 1_000);
      const why = await Promise.race([changed, this.process.sleep(leftMs).then(() => "timeout" as const)]);
      if (why === "timeout") {
        await this.release();
        return false;
      }
      if (this.options.trustWatch) return true; // the bug: the predecessor is gone, but was it the holder?
    }
  }

  async release(): Promise<void> {
    if (this.node === null) return;
    const node = this.node;
    this.node = null;
    await retrying(() => this.zk.delete(node)).catch((error: unknown) => {
      if (!(error instanceof ZkError && error.code === "NoNode")) throw error; // a retried delete that had happened
    });
  }
}

/** Runs a step again while the connection breaks (ConnectionLoss: its outcome is unknown), a bounded number of times. */
async function retrying<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof ZkError && error.code === "ConnectionLoss") || attempt >= 100) throw error;
    }
  }
}
