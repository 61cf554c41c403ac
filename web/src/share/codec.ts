/**
 * Text in a link: compressed with the platform's own CompressionStream
 * ("deflate-raw", no dependency) and written in base64url, the alphabet an
 * address carries without escapes. Both directions are bounded: a link is
 * data from anyone, and a few kilobytes of deflate can expand to gigabytes.
 */

/** Why packed text could not be read back, in words for a person. */
export class UnpackError extends Error {
  override readonly name = "UnpackError";
}

/** The text a packed parameter may expand to (a scenario file's own bound in parseScenario). */
export const UNPACKED_CHARS_MAX = 1_000_000;
/** The longest packed parameter accepted (browsers keep addresses of about 2 MB). */
export const PACKED_CHARS_MAX = 1_500_000;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** UTF-8 text → deflate-raw → base64url. */
export async function packText(text: string): Promise<string> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return base64urlOf(bytes);
}

/** base64url → inflate → UTF-8 text, at most `charsMax` characters; an UnpackError says what is wrong. */
export async function unpackText(packed: string, charsMax = UNPACKED_CHARS_MAX): Promise<string> {
  const bytes = bytesOfBase64url(packed);
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  // UTF-8 takes at least one byte a character: stop reading well before a bomb fills memory.
  const bytesMax = charsMax * 4;
  const chunks: Uint8Array[] = [];
  let bytesRead = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytesRead += value.length;
      if (bytesRead > bytesMax) throw new UnpackError(`it expands to more than ${charsMax} characters`);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (error instanceof UnpackError) throw error;
    // DecompressionStream rejects data that is not deflate, or is cut short.
    throw new UnpackError("it is not deflate-raw data (cut short or altered?)");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  } catch {
    throw new UnpackError("it expands to bytes that are not UTF-8 text");
  }
  if (text.length > charsMax) throw new UnpackError(`it expands to more than ${charsMax} characters`);
  return text;
}

/** Bytes → base64url without padding. */
export function base64urlOf(bytes: Uint8Array): string {
  let binary = "";
  // In pieces: String.fromCharCode takes its arguments on the stack.
  for (let start = 0; start < bytes.length; start += 0x8000) binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url (padding optional) → bytes; an UnpackError names the first character that is not base64url. */
export function bytesOfBase64url(text: string): Uint8Array {
  if (text.length > PACKED_CHARS_MAX) throw new UnpackError(`it is longer than ${PACKED_CHARS_MAX} characters`);
  const unpadded = text.replace(/={1,2}$/, "");
  if (!BASE64URL.test(unpadded)) {
    const index = [...unpadded].findIndex((c) => !/[A-Za-z0-9_-]/.test(c));
    throw new UnpackError(`it is not base64url: character ${index + 1} is ${JSON.stringify(unpadded[index])} (expected A–Z, a–z, 0–9, - or _)`);
  }
  if (unpadded.length % 4 === 1) throw new UnpackError(`it is not base64url: ${unpadded.length} characters cannot be whole bytes (cut short?)`);
  const binary = atob(unpadded.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
  return bytes;
}
