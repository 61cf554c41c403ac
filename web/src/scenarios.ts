/**
 * The bundled scenarios (scenarios/*.yaml), as text, built into the page by
 * vite: a scenario can be opened by name and run here without a trace.
 */
const files: Record<string, string> = import.meta.glob("../../scenarios/*.yaml", { query: "?raw", import: "default", eager: true });

/** Scenario name → YAML source, by name. */
export const BUNDLED_SCENARIOS: ReadonlyMap<string, string> = new Map(
  Object.entries(files)
    .map(([path, source]) => [path.replace(/^.*\//, "").replace(/\.yaml$/, ""), source] as const)
    .sort((a, b) => a[0].localeCompare(b[0])),
);
