import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { checkLinearizable, makeModel, parseJsonlHistory, toOperations, type Json, type ModelName } from "../../src/check/index.ts";

/**
 * Every history of ../shared/histories (Jepsen's etcd histories and
 * Porcupine's kv histories, Knossos's cas-register histories) against its
 * known verdict in manifest.json.
 */
const ROOT = new URL("../../../shared/histories/", import.meta.url);

interface ManifestEntry {
  readonly name: string;
  readonly file: string;
  readonly model: ModelName;
  readonly initialValue: Json;
  readonly expected: "linearizable" | "not-linearizable";
}

const manifest = JSON.parse(readFileSync(new URL("manifest.json", ROOT), "utf8")) as { histories: ManifestEntry[] };

describe("the linearizability checker on the shared histories", () => {
  test("the manifest lists 228 histories", () => {
    expect(manifest.histories.length).toBe(228);
  });

  for (const group of ["etcd", "kv", "cas-register"]) {
    const entries = manifest.histories.filter((h) => h.name.startsWith(group));
    test(`${entries.length} ${group} histories get their known verdicts`, () => {
      const wrong: string[] = [];
      for (const h of entries) {
        const events = parseJsonlHistory(readFileSync(new URL(h.file, ROOT), "utf8"), h.file);
        const result = checkLinearizable(toOperations(events, h.file), makeModel(h.model, { initialValue: h.initialValue }));
        if (result.verdict !== h.expected) wrong.push(`${h.name}: expected ${h.expected}, got ${result.verdict}${result.reason === undefined ? "" : ` (${result.reason})`}`);
      }
      expect(wrong).toEqual([]);
    }, 120_000);
  }
});
