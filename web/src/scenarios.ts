/**
 * The bundled scenarios (scenarios/*.yaml), built into the page by vite, so
 * that one can be opened by name and run here without a trace. Their text is
 * fetched only when one is run: the page starts without thirty requests.
 */
const loaders = import.meta.glob<string>("../../scenarios/*.yaml", { query: "?raw", import: "default" });

/** Scenario name → a function that fetches its YAML source, by name. */
export const BUNDLED_SCENARIOS: ReadonlyMap<string, () => Promise<string>> = new Map(
  Object.entries(loaders)
    .map(([path, load]) => [path.replace(/^.*\//, "").replace(/\.yaml$/, ""), load] as const)
    .sort((a, b) => a[0].localeCompare(b[0])),
);
