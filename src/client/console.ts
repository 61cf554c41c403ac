import { z } from "zod";
import { OPEN_ACL, pathProblem, type CreateMode, type ZkOp } from "../zk/index.ts";

/**
 * A request a person issues as one of the clients (the viewer's console, a
 * scenario's `request` entry): one of the common operations, with only the
 * fields it takes. The client issues it like any request of its workload,
 * so it is recorded, traced and judged as theirs are.
 */

/** Longest path and data a console request takes: a person's typing, far below ZooKeeper's 1 MB. */
const PATH_CHARS_MAX = 1_000;
const DATA_CHARS_MAX = 100_000;

const path = z
  .string({ error: "expected a znode path such as /app/config" })
  .max(PATH_CHARS_MAX, `at most ${PATH_CHARS_MAX} characters`)
  .superRefine((text, ctx) => {
    const problem = pathProblem(text);
    if (problem !== null) ctx.addIssue({ code: "custom", message: `expected a znode path such as /app/config: ${problem}` });
  });
const data = z.string({ error: "expected the data as text" }).max(DATA_CHARS_MAX, `at most ${DATA_CHARS_MAX} characters`).nullable();
/** -1: any version (ZooKeeper's "no check"). */
const version = z.int({ error: "expected a version: -1 (any) or a number from 0" }).min(-1).max(2 ** 31 - 1);
const watch = z.boolean();

/** The operations, each with the fields it takes (all but op and path optional). */
export const CONSOLE_OPERATIONS = ["create", "setData", "getData", "exists", "getChildren", "delete", "sync"] as const;

/** The shape of each operation's fields, besides op; the scenario schema adds `client` to these. */
export const consoleRequestShapes = {
  create: { path, data: data.default(""), ephemeral: z.boolean().default(false), sequential: z.boolean().default(false) },
  setData: { path, data: data.default(""), version: version.default(-1) },
  getData: { path, watch: watch.default(false) },
  exists: { path, watch: watch.default(false) },
  getChildren: { path, watch: watch.default(false) },
  delete: { path, version: version.default(-1) },
  sync: { path },
} as const;

const opError = { error: `expected op: ${CONSOLE_OPERATIONS.join(", ")}` };

export const consoleRequestSchema = z.discriminatedUnion(
  "op",
  [
    z.strictObject({ op: z.literal("create"), ...consoleRequestShapes.create }),
    z.strictObject({ op: z.literal("setData"), ...consoleRequestShapes.setData }),
    z.strictObject({ op: z.literal("getData"), ...consoleRequestShapes.getData }),
    z.strictObject({ op: z.literal("exists"), ...consoleRequestShapes.exists }),
    z.strictObject({ op: z.literal("getChildren"), ...consoleRequestShapes.getChildren }),
    z.strictObject({ op: z.literal("delete"), ...consoleRequestShapes.delete }),
    z.strictObject({ op: z.literal("sync"), ...consoleRequestShapes.sync }),
  ],
  opError,
);
export type ConsoleRequest = z.output<typeof consoleRequestSchema>;
export type ConsoleRequestInput = z.input<typeof consoleRequestSchema>;

/** The request as the ZooKeeper operation the client sends. */
export function consoleOp(request: ConsoleRequest): ZkOp {
  switch (request.op) {
    case "create": {
      const mode: CreateMode = request.ephemeral ? (request.sequential ? "EPHEMERAL_SEQUENTIAL" : "EPHEMERAL") : request.sequential ? "PERSISTENT_SEQUENTIAL" : "PERSISTENT";
      return { op: "create", path: request.path, data: request.data, acl: OPEN_ACL, mode };
    }
    case "setData":
      return { op: "setData", path: request.path, data: request.data, version: request.version };
    case "getData":
      return { op: "getData", path: request.path, watch: request.watch };
    case "exists":
      return { op: "exists", path: request.path, watch: request.watch };
    case "getChildren":
      return { op: "getChildren", path: request.path, watch: request.watch, withStat: false };
    case "delete":
      return { op: "delete", path: request.path, version: request.version };
    case "sync":
      return { op: "sync", path: request.path };
    default: {
      const unknown: never = request;
      return unknown;
    }
  }
}
