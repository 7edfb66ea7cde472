import { expect } from 'vitest';

/** Assembles a safetensors file by hand: u64 LE header length, header text (unpadded), data bytes. */
export function handMadeSafetensors(headerText: string, data: number[] | Uint8Array = []): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** Little-endian bytes of uint16 values. */
export function u16Bytes(values: number[]): number[] {
  return values.flatMap((v) => [v & 0xff, v >> 8]);
}

/** Runs `fn`, expects it to throw, and checks the message is one line containing every fragment. */
export function expectOneLineError(fn: () => unknown, fragments: string[]): string {
  let message: string | undefined;
  try {
    fn();
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message, 'expected an error').toBeDefined();
  expect(message).not.toMatch(/[\r\n]/);
  for (const fragment of fragments) expect(message).toContain(fragment);
  return message as string;
}

/** Byte equality without handing multi-megabyte arrays to the deep-equality matcher. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  if (Buffer.compare(actual, expected) === 0) return;
  const firstDifference = actual.findIndex((byte, i) => byte !== expected[i]);
  expect(firstDifference, 'index of first differing byte').toBe(-1);
}
