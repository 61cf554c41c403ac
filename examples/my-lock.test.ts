import { describe, expect, test } from "vitest";
import { checkZkProperty, zkProperty } from "zksim/property";
import { oneHolderAtATime, options } from "./my-lock-property.ts";

describe("my lock, property-tested with zkProperty", () => {
  test("the planted bug is found, shrunk, and printed with its seed, schedule and commands", async () => {
    const { failure } = await checkZkProperty(options, oneHolderAtATime(true));
    expect(failure).not.toBeNull();
    console.log(failure?.message);
    expect(failure?.failure).toMatch(/took the lock while c\d held it/);
  });

  test("the correct lock holds over the same runs", async () => {
    await zkProperty(options, oneHolderAtATime(false));
  });
});
