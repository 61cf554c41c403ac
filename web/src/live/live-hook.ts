import type { LiveStatus } from "../protocol.ts";
import type { LiveIntervention } from "./intervention.ts";

/** What the end-to-end tests read and drive (window.zksimLive). */
export interface LiveHook {
  status(): LiveStatus | null;
  branch(): number;
  branches(): { id: number; parent: number | null; depth: number; interventions: Record<string, unknown>[]; digest: string | null }[];
  busy(): boolean;
  /** Leader terms in the current snapshot (from the replicas' role notes). */
  leaders(): { node: string; startUs: number; endUs: number; label: string }[];
  /** The in-flight dots drawn at the cursor in the last frame (px within the diagram). */
  inflightDots(): { m: number; id: number; type: string; x: number; y: number }[];
  /** How many notes of a kind each node wrote from an instant on (µs). */
  notes(kind: string, sinceUs: number): Record<string, number>;
  /** Every message of a type: its row, id, send event, ends and time, and whether it was dropped. */
  sends(type: string): { m: number; id: number; ev: number; from: string; to: string; sendUs: number; dropped: boolean }[];
  line(ev: number): Promise<string | null>;
  intervene(entry: LiveIntervention): Promise<void>;
  scenario(): { source: string; seed: number } | null;
  closeMenu(): void;
  /** Checkpoint runs for the next start's worker (0: none, forks from the seed; null: the worker's default). */
  setCheckpoints(max: number | null): void;
}

declare global {
  interface Window {
    zksimLive?: LiveHook;
  }
}
