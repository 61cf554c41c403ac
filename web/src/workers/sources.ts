/**
 * Reading a trace's bytes, a piece at a time: a file in slices, a URL as a
 * stream. Never the whole text at once; the caller may stop early.
 */

/** Bytes read per slice of a file. */
const SLICE_BYTES = 4 * 1024 * 1024;

/** Reads a file slice by slice, stopping early when told. */
export async function readFileInSlices(file: Blob, feed: (chunk: Uint8Array) => void, stop: () => boolean): Promise<void> {
  for (let start = 0; start < file.size; start += SLICE_BYTES) {
    const buffer = await file.slice(start, Math.min(file.size, start + SLICE_BYTES)).arrayBuffer();
    feed(new Uint8Array(buffer));
    if (stop()) return;
  }
}

/** Streams a URL, stopping early when told; returns its length when the server says. */
export async function readUrlStream(url: string, feed: (chunk: Uint8Array) => void, stop: () => boolean): Promise<number | null> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: the server answered ${response.status} ${response.statusText}`);
  const length = Number(response.headers.get("content-length") ?? "");
  const body = response.body;
  if (body === null) throw new Error(`${url}: the response has no body`);
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    feed(value);
    if (stop()) {
      await reader.cancel();
      break;
    }
  }
  return Number.isFinite(length) && length > 0 ? length : null;
}
