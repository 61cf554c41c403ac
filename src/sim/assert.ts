/**
 * An assertion failure is a bug in zksim (or in protocol code run under it),
 * never a protocol outcome and never bad input. It stops the run; the runner
 * reports it together with the seed so the run can be replayed.
 */
export class AssertionError extends Error {
  override readonly name = "AssertionError";
  constructor(
    message: string,
    /** Plain data that explains the failure (ballots, slots, node ids...). */
    readonly details: Readonly<Record<string, unknown>> | undefined,
  ) {
    super(details === undefined ? message : `${message} ${safeJson(details)}`);
  }
}

/** Asserts `condition`; kept on in every build, since in a simulator it is a free bug detector. */
export function assert(
  condition: boolean,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): asserts condition {
  if (!condition) throw new AssertionError(message, details);
}

/**
 * Fails like a broken assertion. For checks that run after every event
 * (`Node.invariants`): `if (!(inflight <= window)) fail("...", { inflight, window })`
 * builds its details only when it fails, where `assert` would build them every time.
 */
export function fail(message: string, details?: Readonly<Record<string, unknown>>): never {
  throw new AssertionError(message, details);
}

/** For the `default` branch of an exhaustive switch over a discriminated union. */
export function unreachable(value: never, what: string): never {
  throw new AssertionError(`unhandled ${what}`, { value: value as unknown });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
