import type { ClientProcess, Watcher, ZooKeeper } from "./client.ts";
import { ZkError } from "./client.ts";
import { writeNote } from "./notes.ts";

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

/** Attempts of one step of a recipe that keeps failing with ConnectionLoss (each attempt waits for a connection). */
const CONNECTION_TRIES_MAX = 1_000;

/**
 * Runs one request of a recipe again while its connection breaks: the
 * session lives on while the client reconnects, and only SessionExpired (or
 * another ZooKeeper error) ends the recipe. `step` must be safe to repeat:
 * a read, or a write that checks whether it happened already.
 */
async function retrying<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof ZkError && error.code === "ConnectionLoss") || attempt >= CONNECTION_TRIES_MAX) throw error;
    }
  }
}

/** Own node of this session under `dir` with this prefix, if a create whose reply was lost did happen. */
async function findOwnNode(zk: ZooKeeper, dir: string, prefix: string): Promise<string | null> {
  const mine = await retrying(() => zk.getEphemerals(`${dir}/${prefix}`));
  return mine.length > 0 ? (mine.sort()[mine.length - 1] as string) : null;
}

/** A recipe's node in a queue, and whether a create of it lost its reply on the way (an orphan of this session may then turn up). */
interface QueueNode {
  readonly path: string;
  readonly lostCreate: boolean;
}

/**
 * Creates an ephemeral sequential node, surviving a ConnectionLoss on the
 * create itself: a create whose reply was lost may have happened, so before
 * trying again it looks for a node of its own session (ephemerals are listed
 * per session). Creating blindly again would leave an orphan of its own
 * session ahead of it in the queue, and it would wait behind it for ever.
 * The look can still miss a create that the new server has not applied
 * yet: the node says so (`lostCreate`), and the wait sweeps such orphans.
 */
async function createSequential(zk: ZooKeeper, dir: string, prefix: string): Promise<QueueNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { path: await zk.create(`${dir}/${prefix}`, null, { mode: "EPHEMERAL_SEQUENTIAL" }), lostCreate: attempt > 1 };
    } catch (error) {
      if (!(error instanceof ZkError && error.code === "ConnectionLoss") || attempt >= CONNECTION_TRIES_MAX) throw error;
      const own = await findOwnNode(zk, dir, prefix);
      if (own !== null) return { path: own, lostCreate: true };
    }
  }
}

/**
 * Deletes this session's other nodes under `dir` with this prefix: creates
 * whose replies were lost and that were applied after findOwnNode looked
 * (the server it asked was behind). True when it deleted any. Nobody else
 * deletes them while the session lives, and one ahead of a contender blocks
 * the queue for ever.
 */
async function deleteOrphans(zk: ZooKeeper, node: QueueNode, dir: string, prefix: string): Promise<boolean> {
  const orphans = (await retrying(() => zk.getEphemerals(`${dir}/${prefix}`))).filter((path) => path !== node.path);
  for (const orphan of orphans) await deleteOwn(zk, orphan);
  return orphans.length > 0;
}

/** Deletes a queue node, and after a lost create the orphans of this session that may have turned up behind it. */
async function dropQueueNode(zk: ZooKeeper, node: QueueNode, dir: string, prefix: string): Promise<void> {
  await deleteOwn(zk, node.path);
  if (node.lostCreate) await deleteOrphans(zk, node, dir, prefix);
}

/** Deletes a recipe's own node, whatever the connection does; gone already (or with the session) is fine. */
async function deleteOwn(zk: ZooKeeper, path: string): Promise<void> {
  try {
    await retrying(() => zk.delete(path));
  } catch (error) {
    if (!(error instanceof ZkError && (error.code === "NoNode" || error.code === "SessionExpired"))) throw error;
  }
}

function codeOf(error: unknown): string {
  return error instanceof ZkError ? error.code : error instanceof Error ? error.message : String(error);
}

/**
 * Waits in a queue of sequential nodes under `dir` until `name` is first,
 * watching only the node just before it (no herd). Throws NoNode when its
 * own node is gone (the session expired).
 */
async function waitFirst(zk: ZooKeeper, dir: string, node: QueueNode, prefix: string): Promise<void> {
  const name = node.path.slice(dir.length + 1);
  for (;;) {
    const children = (await retrying(() => zk.getChildren(dir))).filter((c) => c.startsWith(prefix)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
    const index = children.indexOf(name);
    if (index < 0) throw new ZkError("NoNode"); // our node is gone: the session expired
    if (index === 0) return;
    if (node.lostCreate && (await deleteOrphans(zk, node, dir, prefix))) continue;
    const { watcher, fired } = oneEvent();
    // A ConnectionLoss here may have set the watch or not: look again rather than wait for an event that may never come.
    const predecessor = await zk.exists(`${dir}/${children[index - 1] as string}`, watcher).catch((error: unknown) => {
      if (error instanceof ZkError && error.code === "ConnectionLoss") return undefined;
      throw error;
    });
    if (predecessor !== null && predecessor !== undefined && predecessor.ephemeralOwner === zk.sessionId) {
      // An orphan of this very session: a create whose reply was lost was still on its way through the old
      // server when findOwnNode looked, and applied after it. No one else deletes it while the session lives.
      await deleteOwn(zk, `${dir}/${children[index - 1] as string}`);
      continue;
    }
    if (predecessor !== null && predecessor !== undefined) await fired;
  }
}

/**
 * A lock: each contender creates an ephemeral sequential node and waits for
 * the node just before its own to go (no herd). The holder's fencing token is
 * the zxid that created its node: it only grows from holder to holder, so a
 * resource that remembers the highest token it saw can refuse a stale holder
 * (see StorageNode and ClientProcess.store).
 *
 * A broken connection does not end an attempt: the session lives on while
 * the client reconnects, and every step is repeated (the create only after
 * looking for its own node). An attempt that does end (its session expired,
 * or another error) deletes its node, so that it never blocks the queue.
 * The notes say what the client wants and believes: lock-wanted,
 * lock-acquired, lock-released, lock-abandoned.
 */
export class Lock {
  private node: QueueNode | null = null;
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
    writeNote(this.process, { kind: "lock-wanted", data: { lock: this.dir } });
    try {
      await retrying(() => ensurePath(this.zk, this.dir));
      const node = await createSequential(this.zk, this.dir, "lock-");
      this.node = node;
      await waitFirst(this.zk, this.dir, node, "lock-");
      const stat = await retrying(() => this.zk.exists(node.path));
      if (stat === null) throw new ZkError("NoNode"); // the session expired as it got there
      this.tokenValue = stat.czxid;
    } catch (error) {
      writeNote(this.process, { kind: "lock-abandoned", data: { lock: this.dir, error: codeOf(error) } });
      await this.dropNode();
      throw error;
    }
    writeNote(this.process, { kind: "lock-acquired", data: { lock: this.dir, token: this.tokenValue } });
    return this.tokenValue;
  }

  async release(): Promise<void> {
    writeNote(this.process, { kind: "lock-released", data: { lock: this.dir, token: this.tokenValue } });
    this.tokenValue = 0;
    await this.dropNode();
  }

  private async dropNode(): Promise<void> {
    const node = this.node;
    this.node = null;
    if (node !== null) await dropQueueNode(this.zk, node, this.dir, "lock-").catch(() => undefined);
  }
}

/**
 * Leader election: the contender with the lowest sequential node leads; each
 * other one watches its predecessor. The term is the zxid of the leader's
 * node, so terms only grow. Connection losses are ridden out as the lock
 * does; the notes are election-wanted, elected, resigned, election-abandoned.
 */
export class Election {
  private node: QueueNode | null = null;

  constructor(
    private readonly zk: ZooKeeper,
    private readonly process: ClientProcess,
    private readonly dir = "/election",
  ) {}

  /** Resolves with the term once this client leads. */
  async lead(): Promise<number> {
    writeNote(this.process, { kind: "election-wanted", data: { election: this.dir } });
    let term = 0;
    try {
      await retrying(() => ensurePath(this.zk, this.dir));
      const node = await createSequential(this.zk, this.dir, "n-");
      this.node = node;
      await waitFirst(this.zk, this.dir, node, "n-");
      const stat = await retrying(() => this.zk.exists(node.path));
      if (stat === null) throw new ZkError("NoNode");
      term = stat.czxid;
    } catch (error) {
      writeNote(this.process, { kind: "election-abandoned", data: { election: this.dir, error: codeOf(error) } });
      await this.dropNode();
      throw error;
    }
    writeNote(this.process, { kind: "elected", data: { election: this.dir, term } });
    return term;
  }

  async resign(): Promise<void> {
    writeNote(this.process, { kind: "resigned", data: { election: this.dir } });
    await this.dropNode();
  }

  private async dropNode(): Promise<void> {
    const node = this.node;
    this.node = null;
    if (node !== null) await dropQueueNode(this.zk, node, this.dir, "n-").catch(() => undefined);
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
    const node = `${this.dir}/${name}`;
    this.node = node;
    writeNote(this.process, { kind: "barrier-enter", data: { barrier: this.dir, name, count: this.count } });
    try {
      await retrying(() => ensurePath(this.zk, this.dir));
      // The name is this participant's own: NodeExists after a lost reply means the create happened.
      await retrying(() => this.zk.create(node, null, { mode: "EPHEMERAL" })).catch((error: unknown) => {
        if (!(error instanceof ZkError && error.code === "NodeExists")) throw error;
      });
      for (;;) {
        const { watcher, fired } = oneEvent();
        const children = await retrying(() => this.zk.getChildren(this.dir, watcher));
        if (children.length >= this.count) break;
        await fired;
      }
    } catch (error) {
      writeNote(this.process, { kind: "barrier-abandoned", data: { barrier: this.dir, name, error: codeOf(error) } });
      throw error;
    }
    writeNote(this.process, { kind: "barrier-passed", data: { barrier: this.dir, name, count: this.count } });
  }

  async leave(): Promise<void> {
    if (this.node !== null) await deleteOwn(this.zk, this.node).catch(() => undefined);
    this.node = null;
    for (;;) {
      const { watcher, fired } = oneEvent();
      const children = await retrying(() => this.zk.getChildren(this.dir, watcher));
      if (children.length === 0) break;
      await fired;
    }
    writeNote(this.process, { kind: "barrier-left", data: { barrier: this.dir } });
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
        writeNote(this.process, { kind: "config-seen", data: { path: this.path, version: stat.version, mzxid: stat.mzxid } });
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

/**
 * Group membership: each member of an application registers an ephemeral
 * node `group/NAME` holding its address; the node lives as long as the
 * member's session, so a member that crashes or goes quiet leaves the group
 * once its session expires. Notes: member-joined, member-left.
 */
export class GroupMember {
  private node: string | null = null;

  constructor(
    private readonly zk: ZooKeeper,
    private readonly process: ClientProcess,
    private readonly group = "/group",
  ) {}

  async join(name: string, address: string): Promise<void> {
    await retrying(() => ensurePath(this.zk, this.group));
    const node = `${this.group}/${name}`;
    // The name is this member's own: NodeExists after a lost reply means the create happened.
    await retrying(() => this.zk.create(node, address, { mode: "EPHEMERAL" })).catch((error: unknown) => {
      if (!(error instanceof ZkError && error.code === "NodeExists")) throw error;
    });
    this.node = node;
    writeNote(this.process, { kind: "member-joined", data: { group: this.group, name } });
  }

  async leave(): Promise<void> {
    const node = this.node;
    this.node = null;
    if (node === null) return;
    await deleteOwn(this.zk, node).catch(() => undefined);
    writeNote(this.process, { kind: "member-left", data: { group: this.group, name: node.slice(this.group.length + 1) } });
  }
}

/**
 * The group as a watcher (a load balancer) sees it: reads the members with a
 * watch, and again at every change; each view comes with the children's
 * pzxid, so views never go back. `members` is the latest view. A broken
 * connection makes it read again; an expired session ends it.
 * Notes: members-seen.
 */
export class GroupWatcher {
  private stopped = false;
  private view: readonly string[] = [];

  constructor(
    private readonly zk: ZooKeeper,
    private readonly process: ClientProcess,
    private readonly group = "/group",
  ) {}

  /** The members in the latest view, sorted. */
  get members(): readonly string[] {
    return this.view;
  }

  async watch(onChange: (members: readonly string[]) => void = () => undefined): Promise<void> {
    await retrying(() => ensurePath(this.zk, this.group));
    while (!this.stopped) {
      const { watcher, fired } = oneEvent();
      try {
        const { children, stat } = await this.zk.getChildrenWithStat(this.group, watcher);
        this.view = [...children].sort();
        writeNote(this.process, { kind: "members-seen", data: { group: this.group, members: [...this.view], pzxid: stat.pzxid } });
        onChange(this.view);
      } catch (error) {
        // The connection broke: the watch may not be set; read again on the next connection.
        if (error instanceof ZkError && error.code === "ConnectionLoss") continue;
        throw error;
      }
      await fired;
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
