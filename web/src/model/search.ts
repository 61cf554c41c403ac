import type { TraceModel } from "./trace-model.ts";

/**
 * Search over the trace's messages: by message id (`#42` or `id:42`), by
 * znode path (`/locks`, a prefix or any part of a path), or by session id
 * (`session:72057594037927937`); a bare number tries both a message id and
 * a session. The answer is the matching messages' send events, in order.
 */
export type SearchQuery =
  | { readonly kind: "message"; readonly id: number }
  | { readonly kind: "path"; readonly text: string }
  | { readonly kind: "session"; readonly id: number }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "empty" }
  | { readonly kind: "invalid"; readonly reason: string };

export function parseSearch(text: string): SearchQuery {
  const q = text.trim();
  if (q === "") return { kind: "empty" };
  const id = /^(?:#|id:\s*)(\d+)$/i.exec(q);
  if (id !== null) return { kind: "message", id: Number(id[1]) };
  const session = /^(?:session|sid):\s*(0x[0-9a-f]+|\d+)$/i.exec(q);
  if (session !== null) return { kind: "session", id: Number(session[1]) };
  if (/^\d+$/.test(q)) return { kind: "number", value: Number(q) };
  if (q.startsWith("/") || /^path:/i.test(q)) return { kind: "path", text: q.replace(/^path:\s*/i, "") };
  return { kind: "invalid", reason: "search for #ID (a message), /path (a znode) or session:ID" };
}

/** The send events of the messages that match, ascending; bounded by `resultsMax`. */
export function searchMessages(model: TraceModel, query: SearchQuery, resultsMax = 100_000): number[] {
  const msgs = model.messages;
  const out: number[] = [];
  const add = (m: number) => {
    if (out.length < resultsMax) out.push(msgs.sendEv[m] as number);
  };
  switch (query.kind) {
    case "message":
    case "number":
    case "session": {
      const id = query.kind === "message" ? query.id : query.kind === "session" ? query.id : query.value;
      const byId = query.kind !== "session";
      const bySession = query.kind !== "message";
      for (let m = 0; m < msgs.count; m++) {
        if ((byId && msgs.id[m] === id) || (bySession && msgs.session[m] === id)) add(m);
      }
      break;
    }
    case "path": {
      const wanted = new Set<number>();
      model.paths.forEach((path, index) => {
        if (path.includes(query.text)) wanted.add(index);
      });
      if (wanted.size === 0) break;
      for (let m = 0; m < msgs.count; m++) if (wanted.has(msgs.path[m] as number)) add(m);
      break;
    }
    case "empty":
    case "invalid":
      break;
    default: {
      const unknown: never = query;
      throw new Error(`unknown search ${String(unknown)}`);
    }
  }
  return out.sort((a, b) => a - b);
}
