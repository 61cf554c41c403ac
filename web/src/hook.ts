import type { AxisMode } from "./model/layout.ts";

/**
 * What the end-to-end tests and the benchmark read and drive in the page, as
 * window.zksimViewer: the state drawn (counts to check against the trace
 * file), the cursor, keys, and direct control of the view for timing frames.
 */

export interface ViewerState {
  readonly state: string;
  readonly events: number;
  readonly messages: number;
  readonly lanes: number;
  readonly arrowsShown: number;
  readonly arrowsDrawn: number;
  readonly spans: number;
  readonly spansDrawn: number;
  readonly cursor: number;
  readonly mode: AxisMode;
  readonly loadMs: number;
  readonly digestRead: string | null;
  readonly digestSummary: string | null;
  readonly digestResim: string | null;
  readonly resim: string;
}

export interface ViewerHook {
  state(): ViewerState;
  setCursor(ev: number): void;
  key(key: string, shift?: boolean): boolean;
  /** Draws one frame now and returns how long it took (ms). */
  drawMs(): number;
  /** How long the last frame took to draw (ms), and how many frames were drawn. */
  lastFrame(): { drawMs: number; frames: number };
  setView(k: number, y0: number): void;
  extent(): [number, number];
  panBy(dyPx: number): void;
}

declare global {
  interface Window {
    zksimViewer?: ViewerHook;
  }
}
