import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DataTree, generateDigestId, OPEN_ACL, pathProblem, READ_ACL, sequenceSuffix, utf8Length } from "../../src/zk/index.ts";
import type { Acl, Caller, CreateMode, MultiOp, Stat, TxnBody, TxnOutcome, WriteRequest, ZkReply, ZnodeData } from "../../src/zk/index.ts";

/** A tree with one live session (id 100), fed transactions with growing zxids and times. */
function harness(options: { extendedTypesEnabled?: boolean } = {}) {
  const tree = new DataTree({ extendedTypesEnabled: options.extendedTypesEnabled ?? true });
  let zxid = 0;
  const apply = (body: TxnBody, timeMs?: number): TxnOutcome => {
    zxid++;
    return tree.applyTxn({ zxid, timeMs: timeMs ?? 1_000 + zxid, body });
  };
  const alice: Caller = { sessionId: 100, authIds: ["world:anyone"] };
  apply({ type: "createSession", sessionId: 100, timeoutMs: 4_000 });
  const write = (request: WriteRequest, caller: Caller = alice, timeMs?: number): ZkReply => apply({ type: "write", caller, request }, timeMs).reply;
  const create = (path: string, data: ZnodeData = null, mode: CreateMode = "PERSISTENT", extra: { acl?: readonly Acl[]; ttlMs?: number; caller?: Caller } = {}) =>
    write({ op: "create", path, data, acl: extra.acl ?? OPEN_ACL, mode, ...(extra.ttlMs === undefined ? {} : { ttlMs: extra.ttlMs }) }, extra.caller);
  const stat = (path: string): Stat => {
    const s = tree.statOf(path);
    if (s === null) throw new Error(`${path} is missing`);
    return s;
  };
  const err = (reply: ZkReply) => (reply.ok ? "OK" : reply.err);
  return { tree, apply, write, create, stat, err, alice, zxid: () => zxid };
}

describe("the data tree", () => {
  test("starts with /, /zookeeper, /zookeeper/quota and /zookeeper/config, as ZooKeeper 3.8 shows them", () => {
    const { tree, stat } = harness();
    expect(stat("/")).toMatchObject({ czxid: 0, cversion: -1, numChildren: 1, aversion: 0 });
    expect(stat("/zookeeper")).toMatchObject({ cversion: -2, numChildren: 2 });
    expect(stat("/zookeeper/config")).toMatchObject({ aversion: -1, numChildren: 0 });
    expect(tree.read({ op: "getChildren", path: "/zookeeper", watch: false, withStat: false }, { sessionId: 0, authIds: [] })).toMatchObject({
      ok: true,
      result: { children: ["config", "quota"] },
    });
    expect(tree.read({ op: "getAllChildrenNumber", path: "/" }, { sessionId: 0, authIds: [] })).toMatchObject({ ok: true, result: { count: 3 } });
  });

  test("create sets every Stat field; the parent's pzxid and cversion move, its mzxid does not", () => {
    const h = harness();
    const reply = h.create("/a", "héllo");
    expect(reply).toMatchObject({ ok: true, result: { op: "create", path: "/a" } });
    const a = h.stat("/a");
    expect(a).toEqual({ czxid: 2, mzxid: 2, pzxid: 2, ctime: 1_002, mtime: 1_002, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: 6, numChildren: 0 });
    expect(h.stat("/")).toMatchObject({ mzxid: 0, pzxid: 2, cversion: 0, numChildren: 2 });
    h.create("/a/b");
    h.write({ op: "delete", path: "/a/b", version: -1 });
    // cversion as clients see it is 2·creates − numChildren: one create, then a delete → 2.
    expect(h.stat("/a")).toMatchObject({ cversion: 2, numChildren: 0, pzxid: 4, mzxid: 2 });
  });

  test("create checks in ZooKeeper's order: bad TTL, NUL, ACL, missing parent, parent ACL, final path, existing node, ephemeral parent", () => {
    const h = harness();
    h.create("/e", null, "EPHEMERAL");
    h.create("/ro", null, "PERSISTENT", { acl: READ_ACL });
    expect(h.err(h.create("/x", null, "PERSISTENT", { ttlMs: 5 }))).toBe("BadArguments");
    expect(h.err(h.create("/x", null, "PERSISTENT_WITH_TTL", { ttlMs: 0 }))).toBe("BadArguments");
    expect(h.err(h.create("/a\u0000", null))).toBe("BadArguments");
    expect(h.err(h.create("/missing/x", null, "PERSISTENT", { acl: [] }))).toBe("InvalidACL");
    expect(h.err(h.create("/missing/x/", null))).toBe("NoNode"); // the parent check comes before the path check
    expect(h.err(h.create("/ro/x", null))).toBe("NoAuth");
    expect(h.err(h.create("/e/", null))).toBe("BadArguments");
    expect(h.err(h.create("/e", null))).toBe("NodeExists");
    expect(h.err(h.create("/e/x", null))).toBe("NoChildrenForEphemerals");
    expect(h.err(h.create("/", null))).toBe("NodeExists");
    expect(h.err(h.create("/zookeeper", null))).toBe("NodeExists");
    expect(h.err(h.create("/zookeeper/config/x", null))).toBe("NoAuth");
  });

  test("TTL nodes need extended types; with them off a TTL create is Unimplemented", () => {
    const off = harness({ extendedTypesEnabled: false });
    expect(off.err(off.create("/t", null, "PERSISTENT_WITH_TTL", { ttlMs: 1_000 }))).toBe("Unimplemented");
    const on = harness();
    expect(on.create("/t", null, "PERSISTENT_SEQUENTIAL_WITH_TTL", { ttlMs: 1_000 })).toMatchObject({ ok: true, result: { path: "/t0000000000" } });
    expect(on.stat("/t0000000000").ephemeralOwner).toBe(0);
  });

  test("sequential names come from the parent's create counter; a taken name does not advance it", () => {
    const h = harness();
    h.create("/s");
    const path = (r: ZkReply) => (r.ok && r.result.op === "create" ? r.result.path : h.err(r));
    expect(path(h.create("/s/n", null, "PERSISTENT_SEQUENTIAL"))).toBe("/s/n0000000000");
    expect(path(h.create("/s/m", null, "EPHEMERAL_SEQUENTIAL"))).toBe("/s/m0000000001");
    h.create("/s/n0000000002");
    expect(path(h.create("/s/n", null, "PERSISTENT_SEQUENTIAL"))).toBe("/s/n0000000003");
    h.create("/s/n0000000004");
    h.create("/s/x0000000006"); // the counter is now 6, and that name is taken
    expect(path(h.create("/s/x", null, "PERSISTENT_SEQUENTIAL"))).toBe("NodeExists");
  });

  test("a sequential create whose name is taken is NodeExists, and retries keep failing until another create moves the counter", () => {
    const h = harness();
    h.create("/q");
    h.create("/q/n0000000001"); // counter 0 → 1
    expect(h.err(h.create("/q/n", null, "PERSISTENT_SEQUENTIAL"))).toBe("NodeExists");
    expect(h.err(h.create("/q/n", null, "PERSISTENT_SEQUENTIAL"))).toBe("NodeExists");
    h.create("/q/other"); // counter 1 → 2
    expect(h.create("/q/n", null, "PERSISTENT_SEQUENTIAL")).toMatchObject({ ok: true, result: { path: "/q/n0000000002" } });
  });

  test("the suffix is Java's %010d, sign included", () => {
    expect(sequenceSuffix(0)).toBe("0000000000");
    expect(sequenceSuffix(2_147_483_647)).toBe("2147483647");
    expect(sequenceSuffix(-2_147_483_648)).toBe("-2147483648");
    expect(sequenceSuffix(-1)).toBe("-000000001");
  });

  test("delete: reserved paths are BadArguments; BadVersion beats NotEmpty; the parent's DELETE permission is checked", () => {
    const h = harness();
    for (const path of ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]) expect(h.err(h.write({ op: "delete", path, version: -1 }))).toBe("BadArguments");
    h.create("/p");
    h.create("/p/c");
    expect(h.err(h.write({ op: "delete", path: "/p", version: 9 }))).toBe("BadVersion");
    expect(h.err(h.write({ op: "delete", path: "/p", version: -1 }))).toBe("NotEmpty");
    expect(h.err(h.write({ op: "delete", path: "/nope/x", version: -1 }))).toBe("NoNode");
    expect(h.err(h.write({ op: "delete", path: "/p/zz", version: -1 }))).toBe("NoNode");
    h.create("/locked", null, "PERSISTENT", { acl: [{ perms: 31 - 8, scheme: "world", id: "anyone" }] });
    h.create("/locked/c");
    expect(h.err(h.write({ op: "delete", path: "/locked/c", version: -1 }))).toBe("NoAuth");
    expect(h.err(h.write({ op: "delete", path: "/p/c", version: 0 }))).toBe("OK");
  });

  test("setData bumps version (even with the same bytes), mzxid and mtime only; versions are checked", () => {
    const h = harness();
    h.create("/d", "a");
    const before = h.stat("/d");
    const reply = h.write({ op: "setData", path: "/d", data: "a", version: 0 });
    expect(reply).toMatchObject({ ok: true, result: { stat: { version: 1, czxid: before.czxid, pzxid: before.pzxid, ctime: before.ctime } } });
    expect(h.stat("/d").mzxid).toBe(h.zxid());
    expect(h.err(h.write({ op: "setData", path: "/d", data: "b", version: 0 }))).toBe("BadVersion");
    expect(h.err(h.write({ op: "setData", path: "/d", data: "b", version: -2 }))).toBe("BadVersion");
    expect(h.err(h.write({ op: "setData", path: "/missing", data: "b", version: 5 }))).toBe("NoNode");
    expect(h.err(h.write({ op: "setData", path: "/d/", data: "b", version: -1 }))).toBe("BadArguments");
    expect(h.err(h.write({ op: "setData", path: "/zookeeper/config", data: "b", version: -1 }))).toBe("NoAuth");
  });

  test("setACL checks aversion and ADMIN, fires nothing; getACL needs READ or ADMIN and masks digests without ADMIN", () => {
    const h = harness();
    const id = generateDigestId("u:p");
    const owner: Caller = { sessionId: 100, authIds: ["world:anyone", `digest:${id}`] };
    h.create("/s");
    const set = h.apply({ type: "write", caller: owner, request: { op: "setACL", path: "/s", acl: [{ perms: 31, scheme: "auth", id: "" }, { perms: 1, scheme: "world", id: "anyone" }], version: 0 } });
    expect(set.triggers).toEqual([]);
    expect(set.reply).toMatchObject({ ok: true, result: { stat: { aversion: 1 } } });
    expect(h.err(h.write({ op: "setACL", path: "/s", acl: OPEN_ACL, version: 0 }, owner))).toBe("BadVersion");
    expect(h.err(h.write({ op: "setACL", path: "/s", acl: OPEN_ACL, version: -1 }))).toBe("NoAuth");
    expect(h.err(h.write({ op: "setACL", path: "/s", acl: [{ perms: 31, scheme: "auth", id: "" }], version: -1 }))).toBe("InvalidACL");
    expect(h.err(h.write({ op: "setACL", path: "/s", acl: [{ perms: 31, scheme: "digest", id: "nocolon" }], version: -1 }, owner))).toBe("InvalidACL");
    const stranger: Caller = { sessionId: 100, authIds: ["world:anyone"] };
    expect(h.tree.read({ op: "getACL", path: "/s" }, stranger)).toMatchObject({ ok: true, result: { acl: [{ scheme: "digest", id: "u:x" }, { scheme: "world" }] } });
    expect(h.tree.read({ op: "getACL", path: "/s" }, owner)).toMatchObject({ ok: true, result: { acl: [{ scheme: "digest", id }, { scheme: "world" }] } });
  });

  test("digest ids are user:base64(sha1(user:password)), as ZooKeeper's DigestAuthenticationProvider makes them", () => {
    // Values computed with ZooKeeper's own DigestAuthenticationProvider.generateDigest.
    expect(generateDigestId("super:test")).toBe("super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
    expect(generateDigestId("u:p")).toBe("u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=");
  });

  test("reads: getData and getChildren check READ; exists checks nothing but NUL; getEphemerals is the caller's, by string prefix", () => {
    const h = harness();
    h.create("/secret", "s", "PERSISTENT", { acl: [{ perms: 2, scheme: "world", id: "anyone" }] });
    h.create("/e", null, "EPHEMERAL");
    h.create("/ex", null, "EPHEMERAL");
    const c = h.alice;
    expect(h.tree.read({ op: "getData", path: "/secret", watch: false }, c)).toEqual({ ok: false, err: "NoAuth" });
    expect(h.tree.read({ op: "getChildren", path: "/secret", watch: false, withStat: false }, c)).toEqual({ ok: false, err: "NoAuth" });
    expect(h.tree.read({ op: "exists", path: "/secret", watch: false }, c)).toMatchObject({ ok: true });
    expect(h.tree.read({ op: "exists", path: "/a\u0000", watch: false }, c)).toEqual({ ok: false, err: "BadArguments" });
    expect(h.tree.read({ op: "getData", path: "/nope", watch: false }, c)).toEqual({ ok: false, err: "NoNode" });
    expect(h.tree.read({ op: "getEphemerals", prefix: "/e" }, c)).toMatchObject({ ok: true, result: { paths: ["/e", "/ex"] } });
    expect(h.tree.read({ op: "getEphemerals", prefix: "/" }, { sessionId: 7, authIds: [] })).toMatchObject({ ok: true, result: { paths: [] } });
  });

  test("multi: all or nothing, with OK before the failing op and RuntimeInconsistency after; no triggers, no sequence numbers on failure", () => {
    const h = harness();
    h.create("/m");
    const before = h.tree.digest();
    const ops: MultiOp[] = [
      { op: "create", path: "/m/s", data: null, acl: OPEN_ACL, mode: "PERSISTENT_SEQUENTIAL" },
      { op: "setData", path: "/m", data: "x", version: 0 },
      { op: "delete", path: "/m/missing", version: -1 },
      { op: "check", path: "/m", version: -1 },
    ];
    const failed = h.apply({ type: "write", caller: h.alice, request: { op: "multi", ops } });
    expect(failed).toEqual({
      reply: { ok: false, err: "NoNode", results: [{ type: "error", err: "OK" }, { type: "error", err: "OK" }, { type: "error", err: "NoNode" }, { type: "error", err: "RuntimeInconsistency" }] },
      triggers: [],
    });
    expect(h.tree.digest()).toBe(before);
    expect(h.stat("/m")).toMatchObject({ version: 0, cversion: 0, numChildren: 0 });
    const ok = h.apply({ type: "write", caller: h.alice, request: { op: "multi", ops: [ops[0] as MultiOp, ops[1] as MultiOp, ops[3] as MultiOp] } });
    expect(ok.reply).toMatchObject({ ok: true, result: { results: [{ type: "create", path: "/m/s0000000000", stat: null }, { type: "setData", stat: { version: 1, numChildren: 1 } }, { type: "check" }] } });
    expect(ok.triggers.map((t) => `${t.type} ${t.path}`)).toEqual(["NodeCreated /m/s0000000000", "NodeChildrenChanged /m", "NodeDataChanged /m"]);
  });

  test("writes of a session that is gone are SessionExpired; closing a session deletes its ephemerals in one transaction", () => {
    const h = harness();
    h.create("/p");
    h.create("/p/e1", null, "EPHEMERAL");
    h.create("/p/e2", null, "EPHEMERAL");
    const closed = h.apply({ type: "closeSession", sessionId: 100, reason: "expire" });
    expect(closed.triggers.map((t) => `${t.type} ${t.path}`)).toEqual(["NodeDeleted /p/e1", "NodeChildrenChanged /p", "NodeDeleted /p/e2", "NodeChildrenChanged /p"]);
    expect(h.stat("/p")).toMatchObject({ numChildren: 0, pzxid: h.zxid() });
    expect(h.err(h.create("/q"))).toBe("SessionExpired");
    expect(h.err(h.create("/q", null, "PERSISTENT_WITH_TTL", { ttlMs: 0 }))).toBe("BadArguments"); // flag checks come first
    expect(h.err(h.write({ op: "setData", path: "/p", data: null, version: -1 }))).toBe("SessionExpired");
  });

  test("containers are due once they had children and have none; TTL nodes once childless past their TTL; a reap re-checks when it applies", () => {
    const h = harness();
    h.create("/unused", null, "CONTAINER");
    h.create("/c", null, "CONTAINER");
    h.create("/c/x");
    h.create("/t", null, "PERSISTENT_WITH_TTL", { ttlMs: 500 });
    const t = h.stat("/t");
    expect(h.tree.reapCandidates(t.mtime + 400)).toEqual([]);
    h.write({ op: "delete", path: "/c/x", version: -1 });
    expect(h.tree.reapCandidates(t.mtime + 501)).toEqual(["/c", "/t"]);
    h.create("/c/again");
    expect(h.apply({ type: "reap", path: "/c" }).reply).toMatchObject({ ok: false });
    const reaped = h.apply({ type: "reap", path: "/t" }, t.mtime + 501);
    expect(reaped.triggers.map((x) => `${x.type} ${x.path}`)).toEqual(["NodeDeleted /t", "NodeChildrenChanged /"]);
    expect(h.tree.statOf("/unused")).not.toBeNull();
  });

  test("path validation follows PathUtils", () => {
    for (const ok of ["/", "/a", "/.a", "/a.b", "/a b", "/\u00a0", "/\uffef", "/été", "/a/..b"]) expect(pathProblem(ok), ok).toBeNull();
    for (const bad of ["", "a", "/a/", "//", "/a//b", "/.", "/..", "/a/./b", "/a/../b", "/\u0000", "/\u0001", "/\u007f", "/\u009f", "/😀", "/\ue000", "/\ufff0"]) {
      expect(pathProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
  });

  test("data lengths are UTF-8 byte counts", () => {
    expect([utf8Length(null), utf8Length(""), utf8Length("a"), utf8Length("é"), utf8Length("☃"), utf8Length("😀")]).toEqual([0, 0, 1, 2, 3, 4]);
  });

  test("property: the digest depends only on the tree, survives a snapshot, and a failed multi leaves it unchanged (fast-check seed 11, 200 runs)", () => {
    const paths = ["/a", "/a/b", "/c", "/a/b/d", "/c/e"];
    const opArb: fc.Arbitrary<WriteRequest> = fc.oneof(
      fc.record({ op: fc.constant("create" as const), path: fc.constantFrom(...paths), data: fc.constantFrom(null, "", "x", "yy"), acl: fc.constant(OPEN_ACL), mode: fc.constantFrom<CreateMode>("PERSISTENT", "EPHEMERAL", "PERSISTENT_SEQUENTIAL", "CONTAINER") }),
      fc.record({ op: fc.constant("delete" as const), path: fc.constantFrom(...paths), version: fc.constantFrom(-1, 0, 1) }),
      fc.record({ op: fc.constant("setData" as const), path: fc.constantFrom(...paths), data: fc.constantFrom(null, "z"), version: fc.constantFrom(-1, 0, 1) }),
    );
    const multiArb = fc.array(opArb, { minLength: 1, maxLength: 4 }).map((ops): WriteRequest => ({ op: "multi", ops: ops as MultiOp[] }));
    fc.assert(
      fc.property(fc.array(fc.oneof(opArb, multiArb), { maxLength: 40 }), (requests) => {
        const h = harness();
        for (const request of requests) {
          const before = h.tree.digest();
          const reply = h.write(request);
          if (!reply.ok) expect(h.tree.digest()).toBe(before);
        }
        const copy = DataTree.fromSnapshot(JSON.parse(JSON.stringify(h.tree.toSnapshot())), { extendedTypesEnabled: true });
        expect(copy.digest()).toBe(h.tree.digest());
        expect(copy.toSnapshot()).toEqual(h.tree.toSnapshot());
        // Replaying the same transactions on a fresh tree gives the same digest.
        const again = harness();
        for (const request of requests) again.write(request);
        expect(again.tree.digest()).toBe(h.tree.digest());
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});
