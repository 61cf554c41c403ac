import { existsSync } from "node:fs";
import { describe, test } from "vitest";
import { CHROMIUM } from "./chromium.ts";

/**
 * Browser tests run Debian's Chromium through playwright-core (no browser is
 * ever downloaded). In CI (CI set) a missing Chromium fails loudly; elsewhere
 * the tests are skipped, saying why.
 */

/** A describe block for browser tests. */
export function describeInBrowser(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body);
    return;
  }
  if (process.env["CI"] !== undefined && process.env["CI"] !== "" && process.env["CI"] !== "false") {
    describe(name, () => {
      test("Chromium is installed for the browser tests", () => {
        throw new Error(`no Chromium at ${CHROMIUM}: CI must install Debian's chromium (apt-get install -y chromium), or set ZKSIM_CHROMIUM`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": no Chromium at ${CHROMIUM} (install Debian's chromium; with CI set this is a failure)`);
  describe.skip(name, body);
}

export { ARTIFACTS, CHROMIUM, diagramNumber, launchBrowser, screenshot, startView, waitOpened } from "./chromium.ts";
export type { Browser, ViewServer } from "./chromium.ts";
