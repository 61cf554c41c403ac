import { describe } from "vitest";
import { bundledFiles, defineBundledTests } from "./bundled.ts";

const files = bundledFiles();

describe("the bundled scenarios (second half)", () => {
  defineBundledTests(files.slice(Math.ceil(files.length / 2)));
});
