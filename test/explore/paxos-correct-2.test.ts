import { describeCorrectRuns } from "./correct-runs.ts";

describeCorrectRuns(2, 424242, 1_000);
