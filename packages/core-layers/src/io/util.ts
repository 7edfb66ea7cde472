/**
 * Small helpers shared by the safetensors and npy codecs.
 *
 * Byte order: typed-array views use the platform's byte order. Every platform Node.js and the
 * browsers run tfjs on is little-endian, which is what both file formats store, so F32 data is
 * viewed (or byte-copied) directly; other dtypes go through DataView with explicit little-endian reads.
 */

/** Builds an Error whose message is a single line prefixed with the data source (file path or label). */
export function ioError(source: string, message: string): Error {
  return new Error(`${source}: ${message}`.replace(/[\r\n]+/g, ' '));
}

/** Quotes a tensor key for an error message, escaping control characters so the message stays one line. */
export function quoteKey(key: string): string {
  return `'${JSON.stringify(key).slice(1, -1)}'`;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * A Float32Array over `length` little-endian floats starting at `bytes[start]`: a zero-copy view
 * when the absolute offset is 4-byte aligned, otherwise a copy (typed arrays require alignment).
 */
export function float32At(bytes: Uint8Array, start: number, length: number): Float32Array {
  const offset = bytes.byteOffset + start;
  if (offset % 4 === 0) return new Float32Array(bytes.buffer, offset, length);
  return new Float32Array(bytes.slice(start, start + length * 4).buffer);
}

/** Same as {@link float32At} for little-endian int32 values. */
export function int32At(bytes: Uint8Array, start: number, length: number): Int32Array {
  const offset = bytes.byteOffset + start;
  if (offset % 4 === 0) return new Int32Array(bytes.buffer, offset, length);
  return new Int32Array(bytes.slice(start, start + length * 4).buffer);
}

/** The raw little-endian bytes of a typed array (a view, no copy). */
export function bytesOf(data: Float32Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function dataViewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
