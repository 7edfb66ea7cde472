import { describe, expect, it } from 'vitest';
import { parseNpy, serializeNpy } from '../../src/io';
import { expectOneLineError } from './helpers';

/** Builds an .npy file by hand from a header dict (padded like numpy) and raw data bytes. */
function handMadeNpy(dict: string, data: Uint8Array, major = 1): Uint8Array {
  const preamble = major === 1 ? 10 : 12;
  const headerLength = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  const header = new TextEncoder().encode(dict.padEnd(headerLength - 1, ' ') + '\n');
  const out = new Uint8Array(preamble + headerLength + data.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  out.set(header, preamble);
  out.set(data, preamble + headerLength);
  return out;
}

const dictFor = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

describe('parseNpy', () => {
  it('reads <f4, <f8, <i4, <i8 and |u1 in versions 1.0 and 2.0', () => {
    const f8 = new Float64Array([0.1, -1e300, 2]);
    const i8 = new BigInt64Array([5n, -3n, 2147483647n, -2147483648n]);
    const cases = [
      { file: handMadeNpy(dictFor('<f4', '(2, 2)'), new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer)), values: [1, 2, 3, 4], shape: [2, 2] },
      { file: handMadeNpy(dictFor('<f8', '(3,)'), new Uint8Array(f8.buffer), 2), values: [Math.fround(0.1), -Infinity, 2], shape: [3] },
      { file: handMadeNpy(dictFor('<i4', '(1, 2)'), new Uint8Array(new Int32Array([-9, 7]).buffer)), values: [-9, 7], shape: [1, 2] },
      { file: handMadeNpy(dictFor('<i8', '(4,)'), new Uint8Array(i8.buffer)), values: [5, -3, 2147483647, -2147483648], shape: [4] },
      { file: handMadeNpy(dictFor('|u1', '()'), new Uint8Array([255])), values: [255], shape: [] },
    ];
    const types = [Float32Array, Float32Array, Int32Array, Int32Array, Uint8Array];
    cases.forEach(({ file, values, shape }, i) => {
      const array = parseNpy(file);
      expect(array.shape).toEqual(shape);
      expect(array.data).toBeInstanceOf(types[i]);
      expect(Array.from(array.data)).toEqual(values);
    });
  });

  it('rejects bad input with one-line errors naming the source', () => {
    const src = 'labels.npy';
    const f4 = (shape: string, bytes: number, fortran = 'False') => handMadeNpy(dictFor('<f4', shape, fortran), new Uint8Array(bytes));
    expectOneLineError(() => parseNpy(new Uint8Array([1, 2, 3]), src), [src, 'not an .npy file']);
    expectOneLineError(() => parseNpy(f4('(2, 3)', 24, 'True'), src), [src, 'fortran_order']);
    expectOneLineError(() => parseNpy(f4('(2, 3)', 20), src), [src, 'truncated', '20 bytes', 'shape [2,3] <f4 needs 24']);
    expectOneLineError(() => parseNpy(f4('(2, 3)', 28), src), [src, '28 bytes', 'needs 24']);
    expectOneLineError(() => parseNpy(handMadeNpy(dictFor('>f4', '(1,)'), new Uint8Array(4)), src), [src, "unsupported .npy dtype '>f4'"]);
    expectOneLineError(() => parseNpy(handMadeNpy("{'descr': '<f4'}", new Uint8Array(4)), src), [src, 'malformed']);
    const big = handMadeNpy(dictFor('<i8', '(1,)'), new Uint8Array(new BigInt64Array([2n ** 40n]).buffer));
    expectOneLineError(() => parseNpy(big, src), [src, 'index 0', '1099511627776', 'int32']);
    const version = f4('(1,)', 4);
    version[6] = 4;
    expectOneLineError(() => parseNpy(version, src), [src, 'version 4.0']);
    const longHeader = f4('(1,)', 4);
    new DataView(longHeader.buffer).setUint16(8, 60000, true);
    expectOneLineError(() => parseNpy(longHeader, src), [src, 'header length 60000']);
  });
});

describe('serializeNpy', () => {
  it('writes numpy.save layout: v1.0, 64-byte aligned header ending in a newline', () => {
    const bytes = serializeNpy({ shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 78, 85, 77, 80, 89, 1, 0]);
    expect((10 + headerLength) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith(' \n')).toBe(true);
  });

  it('round-trips float32, int32 and uint8 arrays of any rank', () => {
    const arrays = [
      { shape: [2, 1, 3], data: new Float32Array([0.5, -1, NaN, Infinity, 1e-40, 3]) },
      { shape: [5], data: new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31), 9]) },
      { shape: [], data: new Uint8Array([7]) },
      { shape: [0, 4], data: new Float32Array(0) },
    ];
    for (const array of arrays) {
      const parsed = parseNpy(serializeNpy(array));
      expect(parsed.shape).toEqual(array.shape);
      expect(parsed.data).toEqual(array.data);
      expect(parsed.data.constructor).toBe(array.data.constructor);
    }
    expect(parseNpy(serializeNpy(arrays[0])).dtype).toBe('<f4');
  });

  it('rejects data that does not match the shape', () => {
    expectOneLineError(() => serializeNpy({ shape: [2, 2], data: new Float32Array(3) }, 'out.npy'), ['out.npy', '3 values', 'shape [2,2] needs 4']);
    expectOneLineError(() => serializeNpy({ shape: [-1], data: new Float32Array(1) }, 'out.npy'), ['out.npy', 'invalid shape']);
  });
});
