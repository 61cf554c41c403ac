import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { base64urlOf, bytesOfBase64url, packText, unpackText, UnpackError } from "../../web/src/share/codec.ts";
import { decodeLink, defaultLinkView, encodeLink, linkQuery, MARK_NAMES, packRun, type Intervention, type LinkState } from "../../web/src/share/link.ts";
import { checkLinkRun, scenarioWithInterventions } from "../../web/src/share/run.ts";
import { scenarioSource } from "./fixtures.ts";

/**
 * The share link's pure parts: text packed into an address and back, the
 * whole state (run, cursor, view) through a query string and back, every
 * bad parameter named, and interventions appended to a scenario's faults.
 */

const nodeId = fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/);
const typeName = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const intervention: fc.Arbitrary<Intervention> = fc.oneof(
  fc.record({ at: fc.constantFrom("0s", "250ms", "3s", "1.5s"), crash: nodeId }),
  fc.record({ at: fc.constantFrom("1s", "500us"), restart: nodeId }),
  fc.record({ at: fc.constant("2s"), partition: fc.array(fc.uniqueArray(nodeId, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }) }),
  fc.record({ at: fc.constant("4s"), heal: fc.constant(true as const) }),
  fc.record({ at: fc.constant("5s"), skew: fc.record({ node: nodeId, by: fc.constantFrom("2s", "-500ms") }) }),
);
const pair = (min: number, max: number, int: boolean) =>
  fc
    .tuple(int ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), int ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true }))
    .filter(([a, b]) => a < b && !Object.is(a, -0) && !Object.is(b, -0));
const linkState: fc.Arbitrary<LinkState> = fc.record({
  run: fc.option(
    fc.record({
      source: fc.string({ unit: "grapheme", minLength: 1, maxLength: 400 }),
      seed: fc.option(fc.maxSafeNat()),
      interventions: fc.array(intervention, { maxLength: 6 }),
    }),
  ),
  cursor: fc.option(fc.nat()),
  view: fc.record({
    order: fc.boolean(),
    heartbeats: fc.boolean(),
    hiddenNodes: fc.uniqueArray(nodeId, { maxLength: 5 }),
    hiddenTypes: fc.uniqueArray(typeName, { maxLength: 5 }),
    marks: fc.subarray([...MARK_NAMES]),
    windowUs: fc.option(pair(0, 3_600_000_000, true)),
    zoom: fc.option(pair(-10, 1e9, false)),
  }),
});

describe("packed text", () => {
  test("any text comes back from deflate-raw and base64url as it was, in address-safe characters", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 2_000 }), async (text) => {
        const packed = await packText(text);
        expect(packed).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(await unpackText(packed)).toBe(text);
      }),
      { seed: 12, numRuns: 150 },
    );
  });

  test("a scenario file packs to a fraction of its size", async () => {
    const source = scenarioSource("default");
    expect((await packText(source)).length).toBeLessThan(source.length * 0.7);
  });

  test("base64url round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect([...bytesOfBase64url(base64urlOf(bytes))]).toEqual([...bytes]);
      }),
      { seed: 13 },
    );
  });

  test("what is not base64url, not deflate, not UTF-8 or too large is refused, saying which", async () => {
    await expect(unpackText("abc*def")).rejects.toThrow(/not base64url: character 4 is "\*"/);
    await expect(unpackText("abcde")).rejects.toThrow(/5 characters cannot be whole bytes/);
    await expect(unpackText(base64urlOf(new TextEncoder().encode("plain text, never compressed")))).rejects.toThrow(/not deflate-raw data/);
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9]);
    const compressedLatin1 = new Uint8Array(await new Response(new Blob([latin1]).stream().pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer());
    await expect(unpackText(base64urlOf(compressedLatin1))).rejects.toThrow(/not UTF-8/);
    // A bomb: a megabyte of one letter packs to about a kilobyte.
    const bomb = await packText("a".repeat(2_000_000));
    expect(bomb.length).toBeLessThan(5_000);
    await expect(unpackText(bomb)).rejects.toThrow(UnpackError);
    await expect(unpackText(bomb)).rejects.toThrow(/more than 1000000 characters/);
  });
});

describe("the link's state", () => {
  test("any run, cursor and view come back from the query string as they were", async () => {
    await fc.assert(
      fc.asyncProperty(linkState, async (state) => {
        const query = await encodeLink(state);
        const decoded = await decodeLink(query);
        if (!decoded.ok) throw new Error(`${query}: ${JSON.stringify(decoded.problems)}`);
        expect(decoded.state).toEqual({ ...state, cursor: state.cursor });
      }),
      { seed: 21, numRuns: 120 },
    );
  });

  test("the defaults write nothing: a run with its seed is just src and seed", async () => {
    const query = await encodeLink({ run: { source: "name: x", seed: 3, interventions: [] }, cursor: null, view: defaultLinkView() });
    expect([...new URLSearchParams(query).keys()]).toEqual(["src", "seed"]);
    const view = await decodeLink("ev=12&order=1&hide=s1,c2&marks=");
    expect(view).toEqual({ ok: true, state: { run: null, cursor: 12, view: { ...defaultLinkView(), order: true, hiddenNodes: ["s1", "c2"], marks: [] } } });
  });

  test("other parameters pass through, first and untouched", async () => {
    const packed = await packRun({ source: "name: x", seed: 1, interventions: [] });
    const query = linkQuery(packed, 5, defaultLinkView(), [["reruns", "off"]]);
    expect(query).toMatch(/^reruns=off&src=[A-Za-z0-9_-]+&seed=1&ev=5$/);
  });

  test("every bad parameter is named, with what was expected", async () => {
    const problems = async (query: string) => {
      const decoded = await decodeLink(query);
      return decoded.ok ? [] : decoded.problems.map((p) => `${p.param}: ${p.message}`);
    };
    const good = (await packText("name: x")) as string;
    expect(await problems(`src=${good}&seed=-3`)).toEqual([`seed: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got "-3"`]);
    expect(await problems(`src=${good}&seed=12345678901234567890`)).toEqual([expect.stringMatching(/^seed: expected a whole number/)]);
    expect(await problems(`src=${good}&seed=1.5`)).toEqual([expect.stringMatching(/^seed: expected a whole number/)]);
    expect(await problems("src=not*base64&seed=1")).toEqual([expect.stringMatching(/^src: it is not base64url: character 4 is "\*"/)]);
    expect(await problems("src=&seed=1")).toEqual([expect.stringMatching(/^src: it is empty/)]);
    expect(await problems(`src=${good.slice(0, -3)}`)).toEqual([expect.stringMatching(/^src: /)]);
    expect(await problems(`src=${good}&iv=${await packText("{not json")}`)).toEqual([expect.stringMatching(/^iv: it is not JSON/)]);
    expect(await problems(`src=${good}&iv=${await packText('{"at":"1s"}')}`)).toEqual([expect.stringMatching(/^iv: expected a list of fault entries/)]);
    expect(await problems(`src=${good}&iv=${await packText('[{"at":"1s","crash":"s1"},{"crash":"s2"}]')}`)).toEqual([expect.stringMatching(/^iv: interventions\[1\]: expected a fault entry with a time/)]);
    expect(await problems(`iv=${await packText("[]")}`)).toEqual(["iv: interventions need the scenario they apply to (src)"]);
    expect(await problems("ev=-1")).toEqual([expect.stringMatching(/^ev: expected an event index/)]);
    expect(await problems("ev=3x")).toEqual([expect.stringMatching(/^ev: expected an event index/)]);
    expect(await problems("order=yes&hb=2")).toEqual(['order: expected 1 or 0, got "yes"', 'hb: expected 1 or 0, got "2"']);
    expect(await problems("hide=s1,S2")).toEqual([expect.stringMatching(/^hide: expected node ids .*"S2" is not one/)]);
    expect(await problems("hide=s1,s1")).toEqual(['hide: "s1" is named twice']);
    expect(await problems("marks=start,ticks")).toEqual([expect.stringMatching(/^marks: expected some of start, timer, sync, note .*"ticks"/)]);
    expect(await problems("window=5-2")).toEqual([expect.stringMatching(/^window: expected FROM-TO/)]);
    expect(await problems("zoom=1,x")).toEqual([expect.stringMatching(/^zoom: expected TOP,BOTTOM/)]);
    expect(await problems("zoom=3,3")).toEqual([expect.stringMatching(/^zoom: expected TOP,BOTTOM/)]);
    // Several at once: all of them.
    expect((await problems("src=%%%&seed=x&ev=y")).map((p) => p.split(":")[0])).toEqual(["src", "seed", "ev"]);
  });
});

describe("interventions in the scenario", () => {
  test("are appended to the scenario's faults, which then runs as a file with those faults would", async () => {
    const source = scenarioSource("minority-partition");
    const interventions: Intervention[] = [{ at: "1500ms", crash: "s1" }, { at: "2500ms", restart: "s1" }];
    const text = scenarioWithInterventions(source, interventions, 9);
    const scenario = parseScenario(text, "exported.yaml");
    const base = parseScenario(source, "minority-partition.yaml");
    expect(scenario.seed).toBe(9);
    expect(scenario.faults).toEqual([...(base.faults ?? []), { at: 1_500_000, crash: "s1" }, { at: 2_500_000, restart: "s1" }]);
    // The description and the comments are kept.
    expect(text).toContain(base.description.split("\n")[0]);
    const checked = checkLinkRun({ source, seed: 9, interventions });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const [withThem, without] = await Promise.all([runScenario(checked.scenario, { seed: 9 }), runScenario(base, { seed: 9 })]);
    expect(withThem.digest).not.toBe(without.digest);
    expect((await runScenario(scenario)).digest).toBe(withThem.digest);
  });

  test("a scenario without faults gets a faults list; nothing to add leaves the text as it was", () => {
    const source = "name: calm\ndescription: nothing happens\nduration: 1s\n";
    expect(scenarioWithInterventions(source, [], null)).toBe(source);
    expect(parseScenario(scenarioWithInterventions(source, [{ at: "1s", crash: "s2" }], null), "x").faults).toEqual([{ at: 1_000_000, crash: "s2" }]);
  });

  test("a bad scenario is src's problem at its line; a bad intervention is iv's, at its index", () => {
    const broken = checkLinkRun({ source: "name: x\ndescription: d\nduration: 1s\nservers: { count: 99 }\n", seed: null, interventions: [] });
    expect(broken).toEqual({ ok: false, problems: [{ param: "src", line: 4, path: "servers.count", message: expect.stringMatching(/at most 9/) }] });
    const source = scenarioSource("minority-partition");
    const badNode = checkLinkRun({ source, seed: 1, interventions: [{ at: "1s", crash: "s1" }, { at: "2s", crash: "s42" }] });
    expect(badNode).toEqual({ ok: false, problems: [{ param: "iv", line: 0, path: "interventions[1].crash", message: expect.stringMatching(/unknown node "s42"/) }] });
    const badTime = checkLinkRun({ source, seed: 1, interventions: [{ at: "soon", crash: "s1" }] });
    expect(badTime.ok ? [] : badTime.problems.map((p) => p.path)).toEqual(["interventions[0].at"]);
  });
});
