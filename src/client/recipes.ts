import type { ClientProcess, Watcher, ZooKeeper } from "./client.ts";
import { ZkError } from "./client.ts";

/**
 * ZooKeeper's classic recipes, built on the public client API only. Each one
 * writes trace notes (through ClientProcess.note) that say what its client
 * believes, so the checkers can hold the recipe to its invariant: one lock
 * holder at a time, one leader per term, nobody through a barrier early.
 */

/** Creates `path` and its missing ancestors as persistent nodes (NodeExists is fine). */
export async function ensurePath(zk: ZooKeeper, path: string): Promise<void> {
  let prefix = "";
  for (const part of path.split("/").slice(1)) {
    prefix += `/${part}`;
    try {
      await zk.create(prefix, null);
    } catch (error) {
      if (!(error instanceof ZkError && error.code === "NodeExists")) throw error;
    }
  }
}

/** Resolves when `watcher`-style one-shot notification fires (any event, session events included). */
function oneEvent(): { watcher: Watcher; fired: Promise<void> } {
  let wake: () => void = () => {};
  const fired = new Promise<void>((resolve) => {
    wake = resolve;
  });
  return { watcher: () => wake(), fired };
}

/** The sequence number at the end of a sequential node's name. */
function sequenceOf(name: string): number {
  return Number(name.slice(-10));
}

/** Own node of this session under `dir` with this prefix, if a create whose reply was lost did happen. */
async function findOwnNode(zk: ZooKeeper, dir: string, prefix: string): Promise<string | null> {
  const mine = await zk.getEphemerals(`${dir}/${prefix}`);
  return mine.length > 0 ? (mine.sort()[mine.length - 1] as string) : null;
}

/** Creates an ephemeral sequential node, surviving a ConnectionLoss on the create itself. */
async function createSequential(zk: ZooKeeper, dir: string, prefix: string): Promise<string> {
  for (;;) {
    try {
      return await zk.create(`${dir}/${prefix}`, null, { mode: "EPHEMERAL_SEQUENTIAL" });
    } catch (error) {
      if (!(error instanceof ZkError && error.code === "ConnectionLoss")) throw error;
      const own = await findOwnNode(zk, dir, prefix);
      if (own !== null) return own;
    }
  }
}

/**
 * A lock: each contender creates an ephemeral sequential node and waits for
 * the node just before its own to go (no herd). The holder's fencing token is
 * the zxid that created its node: it only grows from holder to holder, so a
 * resource that remembers the highest token it saw can refuse a stale holder
 * (see StorageNode and ClientProcess.store).
 */
export class Lock {
  private node: string | null = null;
  private tokenValue = 0;

  constructor(
    private readonly zk: ZooKeeper,
    private readonly process: ClientProcess,
    private readonly dir = "/lock",
  ) {}

  /** The fencing token of the current hold (0 when not held). */
  get token(): number {
    return this.tokenValue;
  }

  async acquire(): Promise<number> {
    await ensurePath(this.zk, this.dir);
    const path = await createSequential(this.zk, this.dir, "lock-");
    this.node = path;
    const name = path.slice(this.dir.length + 1);
    for (;;) {
      const children = (await this.zk.getChildren(this.dir)).filter((c) => c.startsWith("lock-")).sort((a, b) => sequenceOf(a) - sequenceOf(b));
      const index = children.indexOf(name);
      if (index < 0) throw new ZkError("NoNode"); // our node is gone: the session expired
      if (index === 0) break;
      const { watcher, fired } = oneEvent();
      const predecessor = await this.zk.exists(`${this.dir}/${children[index - 1] as string}`, watcher);
      if (predecessor !== null) await fired;
    }
    const stat = await this.zk.exists(path);
    this.tokenValue = stat?.czxid ?? 0;
    this.process.note("lock-acquired", { lock: this.dir, token: this.tokenValue });
    return this.tokenValue;
  }

  async release(): Promise<void> {
    const node = this.node;
    this.node = null;
    this.process.note("lock-released", { lock: this.dir, token: this.tokenValue });
    this.tokenValue = 0;
    if (node === null) return;
    try {
      await this.zk.delete(node);
    } catch (error) {
      if (!(error instanceof ZkError && (error.code === "NoNode" || error.code === "SessionExpired"))) throw error;
    }
  }
}

/**
 * Leader election: the contender with the lowest sequential node leads; each
 * other one watches its predecessor. The term is the zxid of the leader's
 * node, so terms only grow.
 */
export class Election {
  private node: string | null = null;

  constructor(
    private readonly zk: ZooKeeper,
    private readonly process: ClientProcess,
    private readonly dir = "/election",
  ) {}

  /** Resolves with the term once this client leads. */
  async lead(): Promise<number> {
    await ensurePath(this.zk, this.dir);
    this.node = await createSequential(this.zk, this.dir, "n-");
    const name = this.node.slice(this.dir.length + 1);
    for (;;) {
      const children = (await this.zk.getChildren(this.dir)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
      const index = children.indexOf(name);
      if (index < 0) throw new ZkError("NoNode");
      if (index === 0) break;
      const { watcher, fired } = oneEvent();
      if ((await this.zk.exists(`${this.dir}/${children[index - 1] as string}`, watcher)) !== null) await fired;
    }
    const term = (await this.zk.exists(this.node))?.czxid ?? 0;
    this.process.note("elected", { election: this.dir, term });
    return term;
  }

  async resign(): Promise<void> {
    this.process.note("resigned", { election: this.dir });
    const node = this.node;
    this.node = null;
    if (node !== null) await this.zk.delete(node).catch(() => undefined);
  }
}

/**
 * A double barrier: `enter` returns once `count` participants have entered;
 * `leave` returns once all of them have left.
 */
export class Barrier {
  private node: string | null = null;

  constructor(
    private readonly zk: ZooKeeper,
    private readonly process: ClientProcess,
    private readonly dir: string,
    private readonly count: number,
  ) {}

  async enter(name: string): Promise<void> {
    await ensurePath(this.zk, this.dir);
    this.node = `${this.dir}/${name}`;
    this.process.note("barrier-enter", { barrier: this.dir, name, count: this.count });
    await this.zk.create(this.node, null, { mode: "EPHEMERAL" });
    for (;;) {
      const { watcher, fired } = oneEvent();
      const children = await this.zk.getChildren(this.dir, watcher);
      if (children.length >= this.count) break;
      await fired;
    }
    this.process.note("barrier-passed", { barrier: this.dir, name, count: this.count });
  }

  async leave(): Promise<void> {
    if (this.node !== null) await this.zk.delete(this.node).catch(() => undefined);
    this.node = null;
    for (;;) {
      const { watcher, fired } = oneEvent();
      const children = await this.zk.getChildren(this.dir, watcher);
      if (children.length === 0) break;
      await fired;
    }
    this.process.note("barrier-left", { barrier: this.dir });
  }
}

/**
 * A configuration watcher: reads a node and reads it again at every change,
 * calling `onChange` with each version it sees (in order, never going back).
 * A broken connection makes it read again; an expired session ends it.
 */
export class ConfigWatcher {
  private stopped = false;

  constructor(
    private readonly zk: ZooKeeper,
    private readonly process: ClientProcess,
    private readonly path: string,
  ) {}

  async watch(onChange: (value: string | null, version: number) => void): Promise<void> {
    while (!this.stopped) {
      const { watcher, fired } = oneEvent();
      try {
        const { data, stat } = await this.zk.getData(this.path, watcher);
        this.process.note("config-seen", { path: this.path, version: stat.version, mzxid: stat.mzxid });
        onChange(data, stat.version);
      } catch (error) {
        if (!(error instanceof ZkError)) throw error;
        // The connection broke: the watch may not be set; read again on the next connection.
        if (error.code === "ConnectionLoss") continue;
        if (error.code !== "NoNode") throw error;
        try {
          if ((await this.zk.exists(this.path, watcher)) !== null) continue;
        } catch (again) {
          if (again instanceof ZkError && again.code === "ConnectionLoss") continue;
          throw again;
        }
      }
      await fired;
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
