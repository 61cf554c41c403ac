import { App } from "./app.ts";
import "./hook.ts";

/** The viewer's entry: builds the page and opens what the address asks for. */

const app = new App();
window.zksimViewer = app.hook();
void app.openFromAddress();
