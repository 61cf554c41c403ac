import { App, type ViewerHook } from "./app.ts";

/** The viewer's entry: builds the page and opens what the address asks for. */

declare global {
  interface Window {
    /** Read and driven by the end-to-end tests and the benchmark. */
    zksimViewer?: ViewerHook;
  }
}

const app = new App();
window.zksimViewer = app.hook();
void app.openFromAddress();
