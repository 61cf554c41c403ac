/**
 * Large cas-register histories for the checker's benchmark, generated
 * deterministically from a seed, as a Jepsen test against a correct register
 * would record them: `processes` clients, each invoking read, write or cas
 * (values 0 to 4) one at a time; each operation takes effect at one instant
 * between its invocation and its completion, against one true register; a
 * cas whose compare fails completes `fail`. A few operations complete `info`
 * (the client timed out: the operation took effect or not, at random), and
 * the client is replaced by a new process, as Jepsen does.
 *
 * A history that must not be linearizable gets one read, at 70% of the way,
 * that returns a value nothing ever wrote (5): the checker has to explore
 * every order of everything before it to prove that no order explains it.
 *
 *   node --import tsx bench/histories.ts --ops 40000 [--seed 1] [--bad] > h.jsonl
 */
import type { HistoryEvent } from "../src/check/index.ts";

export interface CasRegisterHistoryOptions {
  readonly operations: number;
  readonly processes: number;
  readonly seed: number;
  /** False: one read returns a value never written, so the history is not linearizable. */
  readonly linearizable: boolean;
  /** How often an operation completes `info`, in parts per million. */
  readonly infoPerMillion: number;
}

export const BENCH_HISTORY_DEFAULTS = { processes: 8, infoPerMillion: 0 } as const;

/** The value the one bad read returns: outside 0 to 4, never written. */
const VALUE_NEVER_WRITTEN = 5;

type Phase = "idle" | "invoked" | "applied";

interface Client {
  process: number;
  phase: Phase;
  f: "read" | "write" | "cas";
  value: number | null | [number, number];
  /** What the operation returned or did, set when it took effect. */
  result: { ok: boolean; read: number | null };
  /** Completes info (outcome unknown); whether it took effect is decided at random. */
  info: boolean;
}

export function casRegisterHistory(options: CasRegisterHistoryOptions): HistoryEvent[] {
  const random = splitmix(options.seed);
  const below = (n: number) => Number(random() % BigInt(n));
  const events: HistoryEvent[] = [];
  const clients: Client[] = [];
  for (let p = 0; p < options.processes; p++) clients.push({ process: p, phase: "idle", f: "read", value: null, result: { ok: true, read: null }, info: false });
  let register: number | null = null;
  let invoked = 0;
  const badAt = options.linearizable ? -1 : Math.floor(options.operations * 0.7);
  let open = 0;
  while (invoked < options.operations || open > 0) {
    const client = clients[below(clients.length)] as Client;
    switch (client.phase) {
      case "idle": {
        if (invoked >= options.operations) break;
        const roll = below(10);
        client.f = roll < 4 || invoked === badAt ? "read" : roll < 7 ? "write" : "cas";
        client.value = client.f === "read" ? null : client.f === "write" ? below(5) : [below(5), below(5)];
        client.info = below(1_000_000) < options.infoPerMillion && invoked !== badAt;
        client.phase = "invoked";
        // The bad read is the operation invoked at badAt.
        client.result = { ok: true, read: invoked === badAt ? VALUE_NEVER_WRITTEN : null };
        invoked++;
        open++;
        events.push({ process: client.process, type: "invoke", f: client.f, key: null, value: client.value });
        break;
      }
      case "invoked": {
        // The instant it takes effect (an info operation may never take effect).
        if (!(client.info && below(2) === 0)) {
          if (client.f === "read") client.result = { ok: true, read: client.result.read === VALUE_NEVER_WRITTEN ? VALUE_NEVER_WRITTEN : register };
          else if (client.f === "write") register = client.value as number;
          else {
            const [expected, next] = client.value as [number, number];
            client.result = { ok: register === expected, read: null };
            if (register === expected) register = next;
          }
        }
        client.phase = "applied";
        break;
      }
      case "applied": {
        open--;
        client.phase = "idle";
        if (client.info) {
          events.push({ process: client.process, type: "info", f: client.f, key: null, value: client.value });
          client.process += options.processes;
        } else if (client.f === "read") {
          events.push({ process: client.process, type: "ok", f: "read", key: null, value: client.result.read });
        } else {
          events.push({ process: client.process, type: client.result.ok ? "ok" : "fail", f: client.f, key: null, value: client.value });
        }
        break;
      }
      default: {
        const never: never = client.phase;
        throw new Error(`unknown phase ${String(never)}`);
      }
    }
  }
  return events;
}

/** JSON Lines, one event a line. */
export function toJsonl(events: readonly HistoryEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join("\n") + "\n";
}

/** A 64-bit generator (splitmix64): integers only, the same draws on every machine. */
function splitmix(seed: number): () => bigint {
  let state = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n);
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

if (process.argv[1]?.endsWith("histories.ts") === true) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : process.argv[i + 1];
  };
  const events = casRegisterHistory({
    operations: Number(arg("--ops") ?? "40000"),
    processes: Number(arg("--processes") ?? BENCH_HISTORY_DEFAULTS.processes),
    seed: Number(arg("--seed") ?? "1"),
    linearizable: !process.argv.includes("--bad"),
    infoPerMillion: Number(arg("--info-per-million") ?? BENCH_HISTORY_DEFAULTS.infoPerMillion),
  });
  process.stdout.write(toJsonl(events));
}
