import type { PropertyBody, ZkPropertyOptions } from "zksim/property";
import { MyLock } from "./my-lock.ts";

/**
 * A property test of a lock recipe of one's own (./my-lock.ts): three
 * clients take the lock in turn while servers crash and clients pause or are
 * cut off; at no moment may two of them hold it. The test sees every
 * client at once (one simulation, one order of events), so "who holds the
 * lock now" is a plain variable.
 */
export const options: ZkPropertyOptions = {
  name: "my-lock",
  runs: 60,
  seed: 7,
  clients: 3,
  servers: [3],
  sessionTimeoutMs: 4_000, // longer than any pause: no session expires, so a correct lock must hold
  faults: { kinds: ["crash", "pause-client", "isolate-client"], durationMs: 2_000, episodeMsMax: 1_500 },
};

export function oneHolderAtATime(trustWatch: boolean): PropertyBody<[]> {
  return async (cluster) => {
    let holder: string | null = null;
    let acquired = 0;
    await cluster.run(async (zk, process) => {
      const lock = new MyLock(zk, process, { trustWatch });
      for (let round = 0; round < 6; round++) {
        if (!(await lock.acquire(process.rng.between(400, 800)))) continue; // each waits its own time, then gives up
        if (holder !== null) throw new Error(`${process.self} took the lock while ${holder} held it`);
        holder = process.self;
        acquired++;
        await process.sleep(100);
        holder = null;
        await lock.release();
      }
    });
    if (acquired === 0) throw new Error("nobody held the lock: the run tested nothing");
  };
}
