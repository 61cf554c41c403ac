import { parseScenario, runScenario } from "../../../src/scenario/index.ts";
import type { ResimRequest, ResimResponse } from "../protocol.ts";

/**
 * Runs a trace's scenario again with the seed its header records, through
 * the core's runner, here in the browser: the digest it computes is compared
 * with the trace's, and its report gives every check's verdict. It runs
 * beside the trace worker, so the diagram does not wait for it.
 */

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (message: MessageEvent<ResimRequest>) => {
  const { name, source, seed } = message.data;
  const started = performance.now();
  const post = (response: ResimResponse) => scope.postMessage(response);
  void (async () => {
    try {
      const report = await runScenario(parseScenario(source, `${name}.yaml`), { seed });
      post({ kind: "report", report, wallMs: performance.now() - started });
    } catch (error) {
      post({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
    }
  })();
};
