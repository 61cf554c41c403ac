#!/usr/bin/env node
// The zksim command. It runs the TypeScript sources directly through tsx's
// loader, so the command works right after `npm ci` with no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
