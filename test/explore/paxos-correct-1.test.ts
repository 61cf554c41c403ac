import { describeCorrectRuns } from "./correct-runs.ts";

describeCorrectRuns(1, 20261124, 1_000);
