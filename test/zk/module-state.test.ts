import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { bareTree, Clock, historyArb, txnOf } from "./tree-workload.ts";

const ZK = join(import.meta.dirname, "..", "..", "src", "zk");

/** Top-level declarations that hold mutable state: `let`/`var`, weak collections, and Maps or Sets not typed read-only. */
const MUTABLE_AT_TOP = /^(?:export\s+)?(?:(?:let|var)\s|const\s+\w+\s*=\s*new\s+(?:Map|Set)\b|const\s+\w+\s*(?::[^=]+)?=\s*new\s+(?:WeakMap|WeakSet|WeakRef)\b)/;

describe("the ZooKeeper service's modules", () => {
  test("keep no state outside their instances: two trees, or a tree in a Worker and one in the page, cannot share any", () => {
    const offenders: string[] = [];
    for (const file of readdirSync(ZK).filter((f) => f.endsWith(".ts"))) {
      const code = readFileSync(join(ZK, file), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
      code.split("\n").forEach((line, i) => {
        if (MUTABLE_AT_TOP.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  test("the rule above sees the shapes of module state it is meant to", () => {
    for (const line of ["let lane1 = 0;", "export let x = 1;", "var y;", "const cache = new WeakMap<object, number>();", "const seen = new Set();", "const m = new Map<string, number>();"]) {
      expect(MUTABLE_AT_TOP.test(line), line).toBe(true);
    }
    for (const line of ["const RESERVED: ReadonlySet<string> = new Set([]);", "const TTL_MS_MAX = 2 ** 40 - 1;", "  let local = 0;"]) expect(MUTABLE_AT_TOP.test(line), line).toBe(false);
  });

  test("property: two trees fed their transactions interleaved end as each does alone (fast-check seed 3, 50 runs)", () => {
    fc.assert(
      fc.property(historyArb, historyArb, (first, second) => {
        const [a, b] = [bareTree(), bareTree()];
        const [clockA, clockB] = [new Clock(), new Clock()];
        for (let i = 0; i < Math.max(first.length, second.length); i++) {
          const stepA = first[i];
          const stepB = second[i];
          if (stepA !== undefined) a.apply(txnOf(stepA, a.tree, clockA).txn, null);
          if (stepB !== undefined) b.apply(txnOf(stepB, b.tree, clockB).txn, null);
        }
        const [aloneA, aloneB] = [bareTree(), bareTree()];
        const [clockA2, clockB2] = [new Clock(), new Clock()];
        for (const step of first) aloneA.apply(txnOf(step, aloneA.tree, clockA2).txn, null);
        for (const step of second) aloneB.apply(txnOf(step, aloneB.tree, clockB2).txn, null);
        expect(a.tree.inspect()).toStrictEqual(aloneA.tree.inspect());
        expect(b.tree.inspect()).toStrictEqual(aloneB.tree.inspect());
      }),
      { seed: 3, numRuns: 50 },
    );
  });
});
