/**
 * Wiring: a simulated cluster's run turned into what the checkers judge.
 * (The scenario files and their runner come here next.)
 */
export { zkHistoryOf } from "./history.ts";
