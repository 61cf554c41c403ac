import { describe, expect, test } from "vitest";
import { bundledFiles, defineBundledTests } from "./bundled.ts";

const files = bundledFiles();

describe("the bundled scenarios (first half)", () => {
  test("there are at least 14", () => expect(files.length).toBeGreaterThanOrEqual(14));
  defineBundledTests(files.slice(0, Math.ceil(files.length / 2)));
});
