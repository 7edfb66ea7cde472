import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors, type TensorData } from '../../src/io';
import { expectOneLineError, expectSameBytes, handMadeSafetensors, u16Bytes } from './helpers';

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe('parseSafetensors: dtypes', () => {
  it('decodes F16 including subnormals, signed zero, infinities and NaN', () => {
    const halves = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const file = handMadeSafetensors(
      `{"h":{"dtype":"F16","shape":[11],"data_offsets":[0,22]}}`,
      u16Bytes(halves),
    );
    const tensor = parseSafetensors(file).tensors.get('h');
    expect(tensor?.dtype).toBe('F16');
    expect(Array.from(tensor?.data ?? [])).toEqual([
      1, -2, 0.333251953125, 65504, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity, NaN,
    ]);
  });

  it('decodes BF16 as the upper half of float32', () => {
    const file = handMadeSafetensors(
      `{"b":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]}}`,
      u16Bytes([0x3f80, 0xc040, 0x3eab, 0x4049, 0x7f80, 0x0001]),
    );
    const tensor = parseSafetensors(file).tensors.get('b');
    expect(tensor?.shape).toEqual([2, 3]);
    expect(Array.from(tensor?.data ?? [])).toEqual([1, -3, 0.333984375, 3.140625, Infinity, 2 ** -133]);
  });

  it('converts F64 and integer buffers (e.g. num_batches_tracked) to float32', () => {
    const data = new Uint8Array(8 * 2 + 8 * 3 + 4 + 2 + 1 + 1);
    const view = new DataView(data.buffer);
    view.setFloat64(0, 0.1, true);
    view.setFloat64(8, -2.5, true);
    view.setBigInt64(16, 12345n, true);
    view.setBigInt64(24, -7n, true);
    view.setBigInt64(32, 2n ** 40n, true);
    view.setInt32(40, -5, true);
    view.setInt16(44, -300, true);
    view.setUint8(46, 200);
    view.setUint8(47, 3); // BOOL: any non-zero byte is true
    const header = JSON.stringify({
      d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      n: { dtype: 'I64', shape: [3], data_offsets: [16, 40] },
      i: { dtype: 'I32', shape: [], data_offsets: [40, 44] },
      s: { dtype: 'I16', shape: [1], data_offsets: [44, 46] },
      u: { dtype: 'U8', shape: [1], data_offsets: [46, 47] },
      t: { dtype: 'BOOL', shape: [1], data_offsets: [47, 48] },
    });
    const { tensors } = parseSafetensors(handMadeSafetensors(header, data));
    const values = Object.fromEntries([...tensors].map(([k, t]) => [k, Array.from(t.data)]));
    expect(values).toEqual({ d: [Math.fround(0.1), -2.5], n: [12345, -7, 2 ** 40], i: [-5], s: [-300], u: [200], t: [1] });
    expect(tensors.get('i')?.shape).toEqual([]);
  });

  it('reads F32 data at every alignment: a view when 4-byte aligned, a copy otherwise', () => {
    const file = handMadeSafetensors(`{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, f32Bytes([1.5, -2, 3.25]));
    const dataStart = file.length - 12;
    for (let shift = 0; shift < 4; shift++) {
      const bytes = new Uint8Array(file.length + shift).subarray(shift);
      bytes.set(file);
      const data = parseSafetensors(bytes).tensors.get('x')?.data;
      expect(Array.from(data ?? [])).toEqual([1.5, -2, 3.25]);
      expect(data?.buffer === bytes.buffer).toBe((shift + dataStart) % 4 === 0);
    }
  });
});

describe('parseSafetensors: header', () => {
  it('keeps the file key order, including integer-like keys, and returns metadata separately', () => {
    const entry = (begin: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${begin},${begin + 4}]}`;
    const header = `{"b":${entry(0)},"__metadata__":{"format":"pt","note":"x"},"10":${entry(4)},"a":${entry(8)},"2":${entry(12)}}`;
    const { tensors, metadata } = parseSafetensors(handMadeSafetensors(header, f32Bytes([1, 2, 3, 4])));
    expect([...tensors.keys()]).toEqual(['b', '10', 'a', '2']);
    expect([...tensors.values()].map((t) => t.data[0])).toEqual([1, 2, 3, 4]);
    expect(metadata).toEqual({ format: 'pt', note: 'x' });
  });

  it('accepts a file without __metadata__ and with zero-size tensors', () => {
    const { tensors, metadata } = parseSafetensors(handMadeSafetensors(`{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}   `));
    expect(metadata).toEqual({});
    expect(tensors.get('e')?.data.length).toBe(0);
  });
});

describe('parseSafetensors: errors are one line and name the source and key', () => {
  const src = 'model.safetensors';
  const withHeader = (header: string, data: number[] | Uint8Array = []) => handMadeSafetensors(header, data);

  it('rejects a file shorter than 8 bytes', () => {
    expectOneLineError(() => parseSafetensors(new Uint8Array(5), src), [src, '5 bytes', 'too short']);
  });

  it('rejects a header length beyond the file', () => {
    const file = withHeader('{}');
    new DataView(file.buffer).setBigUint64(0, 1000n, true);
    expectOneLineError(() => parseSafetensors(file, src), [src, 'header length 1000', 'exceeds']);
    new DataView(file.buffer).setBigUint64(0, 2n ** 63n, true);
    expectOneLineError(() => parseSafetensors(file, src), [src, 'exceeds']);
  });

  it('rejects a header that is not JSON, not an object, or not UTF-8', () => {
    expectOneLineError(() => parseSafetensors(withHeader('{"a":\n{'), src), [src, 'not valid JSON']);
    expectOneLineError(() => parseSafetensors(withHeader('[1,2]'), src), [src, 'not a JSON object']);
    const badUtf8 = withHeader('{"\u00e9":1}');
    badUtf8[10] = 0xff;
    expectOneLineError(() => parseSafetensors(badUtf8, src), [src, 'not valid JSON']);
  });

  it('rejects duplicate keys and malformed metadata', () => {
    const entry = '{"dtype":"F32","shape":[0],"data_offsets":[0,0]}';
    expectOneLineError(() => parseSafetensors(withHeader(`{"w":${entry},"w":${entry}}`), src), [src, "duplicate key 'w'"]);
    expectOneLineError(() => parseSafetensors(withHeader('{"__metadata__":{"epoch":3}}'), src), [src, "'epoch'", 'string']);
  });

  it('rejects an unknown dtype', () => {
    const header = '{"stem.0.weight":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}';
    expectOneLineError(() => parseSafetensors(withHeader(header, [0, 0]), src), [src, "'stem.0.weight'", 'unknown dtype "F8_E4M3"']);
  });

  it('rejects invalid shapes and out-of-range data_offsets', () => {
    const bad = (fields: string) => withHeader(`{"k.w":{"dtype":"F32",${fields}}}`, new Uint8Array(16));
    expectOneLineError(() => parseSafetensors(bad('"shape":[2,-1],"data_offsets":[0,8]'), src), [src, "'k.w'", 'invalid shape [2,-1]']);
    expectOneLineError(() => parseSafetensors(bad('"shape":[2],"data_offsets":[8,0]'), src), [src, "'k.w'", 'invalid data_offsets [8,0]']);
    expectOneLineError(() => parseSafetensors(bad('"shape":[2],"data_offsets":[-4,4]'), src), [src, "'k.w'", 'invalid data_offsets']);
    expectOneLineError(() => parseSafetensors(bad('"shape":[2]'), src), [src, "'k.w'", 'invalid data_offsets']);
  });

  it('rejects data_offsets that do not match shape x dtype size, naming the shape', () => {
    const header = '{"stem.0.weight":{"dtype":"F32","shape":[96,3,4,4],"data_offsets":[0,400]}}';
    const message = expectOneLineError(() => parseSafetensors(withHeader(header, new Uint8Array(400)), src), []);
    expect(message).toBe("model.safetensors: tensor 'stem.0.weight' has 400 bytes but shape [96,3,4,4] float32 needs 18432");
  });

  it('rejects a truncated file', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]}}';
    expectOneLineError(() => parseSafetensors(withHeader(header, new Uint8Array(12)), src), [
      src,
      'truncated',
      "'b'",
      '[8, 16)',
      'only 12',
    ]);
  });

  it('keeps a key with a newline on one line in messages', () => {
    const header = '{"bad\\nkey":{"dtype":"X","shape":[1],"data_offsets":[0,4]}}';
    expectOneLineError(() => parseSafetensors(withHeader(header, new Uint8Array(4)), src), [src, "'bad\\nkey'"]);
  });
});

describe('serializeSafetensors', () => {
  const tensors: [string, TensorData][] = [
    ['stem.0.weight', { shape: [2, 1, 2, 2], data: Float32Array.from({ length: 8 }, (_, i) => i * 0.5 - 1) }],
    ['7', { shape: [3], data: new Float32Array([Math.PI, -0, 1e-30]) }],
    ['head.fc.bias', { shape: [], data: new Float32Array([42]) }],
  ];

  it('writes the documented layout: u64 length, space-padded JSON header in given order, raw F32 data', () => {
    const bytes = serializeSafetensors(tensors, { epoch: '3' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt","epoch":"3"},' +
        '"stem.0.weight":{"dtype":"F32","shape":[2,1,2,2],"data_offsets":[0,32]},' +
        '"7":{"dtype":"F32","shape":[3],"data_offsets":[32,44]},' +
        '"head.fc.bias":{"dtype":"F32","shape":[],"data_offsets":[44,48]}}',
    );
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(bytes.length).toBe(8 + headerLength + 48);
    expect(Array.from(new Float32Array(bytes.slice(8 + headerLength).buffer))).toEqual(
      tensors.flatMap(([, t]) => Array.from(t.data)),
    );
  });

  it('round-trips: parse(serialize(x)) equals x and re-serializing gives identical bytes', () => {
    const bytes = serializeSafetensors(tensors, { format: 'pt', note: 'round trip' });
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ format: 'pt', note: 'round trip' });
    expect([...parsed.tensors.keys()]).toEqual(tensors.map(([key]) => key));
    for (const [key, tensor] of tensors) {
      expect(parsed.tensors.get(key)?.dtype).toBe('F32');
      expect(parsed.tensors.get(key)?.shape).toEqual(tensor.shape);
      expect(Object.is(parsed.tensors.get(key)?.data[1], tensor.data[1])).toBe(true);
      expect(parsed.tensors.get(key)?.data).toEqual(tensor.data);
    }
    expectSameBytes(serializeSafetensors(parsed.tensors, parsed.metadata), bytes);
  });

  it('writes format "pt" by default and pads an exact multiple of 8 without extra spaces', () => {
    const empty = serializeSafetensors([]);
    const text = new TextDecoder().decode(empty.subarray(8));
    expect(text).toBe('{"__metadata__":{"format":"pt"}}'); // 32 bytes: already a multiple of 8
    expect(parseSafetensors(empty).tensors.size).toBe(0);
  });

  it('rejects mismatched data, duplicate or reserved keys with one-line errors', () => {
    const t = (shape: number[], n: number): TensorData => ({ shape, data: new Float32Array(n) });
    expectOneLineError(() => serializeSafetensors([['a.weight', t([2, 3], 5)]]), ["'a.weight'", '5 values', 'shape [2,3] needs 6']);
    expectOneLineError(() => serializeSafetensors([['a', t([1], 1)], ['a', t([1], 1)]]), ["duplicate tensor 'a'"]);
    expectOneLineError(() => serializeSafetensors([['__metadata__', t([1], 1)]]), ['__metadata__', 'reserved']);
    expectOneLineError(() => serializeSafetensors([['a', t([1.5], 1)]]), ["'a'", 'invalid shape [1.5]']);
  });
});
