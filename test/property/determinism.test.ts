import { fc, test as propertyTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { checkZkProperty, propertyCaseArbitrary, runPropertyCase, type PropertyBody, type ZkPropertyOptions } from "../../src/property/index.ts";

/** Same seed, same runs: the cases fast-check draws, and each run's trace digest. */
const counter: PropertyBody<[number]> = async (cluster, writes) => {
  await cluster.run(async (zk, process, index) => {
    for (let i = 0; i < writes; i++) {
      await zk.create(`/c${index}-${i}`, String(process.rng.below(1_000))).catch(() => {});
      await process.sleep(20);
    }
  });
};

const options: ZkPropertyOptions<[number]> = { name: "determinism", runs: 6, seed: 21, clients: 2, args: [fc.integer({ min: 1, max: 10 })], faults: { durationMs: 500 } };

async function digestsOf(seed: number): Promise<string[]> {
  const digests: string[] = [];
  const result = await checkZkProperty({ ...options, seed, onRun: (run) => digests.push(`${JSON.stringify(run.case)} ${run.report?.digest}`) }, counter);
  expect(result.failure).toBeNull();
  return digests;
}

describe("determinism", () => {
  test("the same seed draws the same cases and runs them to the same digests; another seed does not", async () => {
    const first = await digestsOf(21);
    expect(first).toHaveLength(6);
    expect(await digestsOf(21)).toEqual(first);
    expect(await digestsOf(22)).not.toEqual(first);
  });

  // With @fast-check/vitest: fast-check draws the cases, runPropertyCase runs each one (here twice, to the same digest).
  propertyTest.prop([propertyCaseArbitrary({ clients: 2, faults: { durationMs: 500 } }), fc.integer({ min: 1, max: 10 })], { numRuns: 4, seed: 5 })(
    "a case and its arguments run to the same digest every time",
    async (c, writes) => {
      const once = await runPropertyCase(c, { name: "determinism" }, counter, [writes]);
      const twice = await runPropertyCase(c, { name: "determinism" }, counter, [writes]);
      expect(once.failure).toBeNull();
      expect(once.report?.digest).toMatch(/^[0-9a-f]+$/);
      expect(twice.report?.digest).toBe(once.report?.digest);
    },
  );
});
