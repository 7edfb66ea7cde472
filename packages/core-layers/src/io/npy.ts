/**
 * NPY codec (NumPy's `.npy` format, versions 1.0-3.0) on plain typed arrays.
 *
 * Layout: magic `\x93NUMPY`, major and minor version bytes, header length (u16 little-endian in
 * v1, u32 in v2/v3), then a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and ending in
 * a newline so the data starts at a multiple of 64 bytes, then the raw C-order data.
 */
import { bytesOf, dataViewOf, float32At, formatShape, int32At, ioError, numel } from './util';

/** An array read from or written to an `.npy` file; `dtype` is the descr stored in the file. */
export type NpyArray =
  | { dtype: '<f4' | '<f8'; shape: number[]; data: Float32Array }
  | { dtype: '<i4' | '<i8'; shape: number[]; data: Int32Array }
  | { dtype: '|u1'; shape: number[]; data: Uint8Array };

export type NpyDType = NpyArray['dtype'];

/** What the writer needs: float32 is stored as `<f4`, int32 as `<i4`, uint8 as `|u1`. */
export interface NpyData {
  shape: readonly number[];
  data: Float32Array | Int32Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEM_BYTES: Record<NpyDType, number> = { '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8, '|u1': 1 };

function isNpyDType(descr: string): descr is NpyDType {
  return Object.hasOwn(ITEM_BYTES, descr);
}

interface NpyHeader {
  descr: NpyDType;
  shape: number[];
  dataStart: number;
}

function readHeader(bytes: Uint8Array, source: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw ioError(source, 'not an .npy file (missing \\x93NUMPY magic)');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw ioError(source, `unsupported .npy version ${major}.${bytes[7]}`);
  const view = dataViewOf(bytes);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLength > bytes.length) {
    throw ioError(source, `.npy header length ${headerLength} exceeds the file size ${bytes.length}`);
  }
  // v1/v2 headers are latin1, v3 UTF-8; the fields parsed here are ASCII either way.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  return { ...parseHeaderDict(text, source), dataStart: headerStart + headerLength };
}

/** Extracts descr, fortran_order and shape from the header's Python dict literal. */
function parseHeaderDict(text: string, source: string): { descr: NpyDType; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw ioError(source, `.npy header is malformed: ${JSON.stringify(text.trim())}`);
  }
  if (!isNpyDType(descr)) {
    throw ioError(source, `unsupported .npy dtype '${descr}' (supported: ${Object.keys(ITEM_BYTES).join(', ')})`);
  }
  if (fortran === 'True') throw ioError(source, '.npy array is fortran_order (column-major); only C order is supported');
  const dims = shapeText.split(',').map((dim) => dim.trim()).filter((dim) => dim !== '');
  if (!dims.every((dim) => /^\d+L?$/.test(dim))) throw ioError(source, `.npy header has invalid shape (${shapeText})`);
  return { descr, shape: dims.map((dim) => Number.parseInt(dim, 10)) };
}

/** int64 values narrowed to int32; throws if one does not fit. */
function int64ToInt32(bytes: Uint8Array, start: number, count: number, source: string): Int32Array {
  const view = dataViewOf(bytes);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const low = view.getUint32(start + 8 * i, true);
    const high = view.getInt32(start + 8 * i + 4, true);
    // Fits in int32 iff the high word is the sign extension of the low word's top bit.
    if (high !== (low >= 0x80000000 ? -1 : 0)) {
      throw ioError(source, `int64 value at index ${i} (${high * 2 ** 32 + low}) does not fit in int32`);
    }
    out[i] = low | 0;
  }
  return out;
}

function float64ToFloat32(bytes: Uint8Array, start: number, count: number): Float32Array {
  const view = dataViewOf(bytes);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(start + 8 * i, true);
  return out;
}

/**
 * Parses an in-memory `.npy` file (little-endian, C order). `<f8` is narrowed to float32 and
 * `<i8` to int32. `<f4`/`<i4` data are zero-copy views into `bytes` when aligned.
 */
export function parseNpy(bytes: Uint8Array, source = '<buffer>'): NpyArray {
  const { descr, shape, dataStart } = readHeader(bytes, source);
  const count = numel(shape);
  const expected = count * ITEM_BYTES[descr];
  const actual = bytes.length - dataStart;
  if (actual !== expected) {
    const problem = actual < expected ? 'file is truncated: ' : '';
    throw ioError(source, `${problem}.npy data has ${actual} bytes but shape ${formatShape(shape)} ${descr} needs ${expected}`);
  }
  switch (descr) {
    case '<f4':
      return { dtype: descr, shape, data: float32At(bytes, dataStart, count) };
    case '<f8':
      return { dtype: descr, shape, data: float64ToFloat32(bytes, dataStart, count) };
    case '<i4':
      return { dtype: descr, shape, data: int32At(bytes, dataStart, count) };
    case '<i8':
      return { dtype: descr, shape, data: int64ToInt32(bytes, dataStart, count, source) };
    case '|u1':
      return { dtype: descr, shape, data: bytes.slice(dataStart) };
  }
}

function descrOf(data: NpyData['data']): NpyDType {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Int32Array) return '<i4';
  return '|u1';
}

/** Python tuple literal for a shape: `()`, `(3,)`, `(2, 3)`. */
function shapeTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * Serializes a C-order array to `.npy` v1.0 bytes exactly as `numpy.save` lays them out: the
 * header dict padded with spaces and a final newline so the data starts at a multiple of 64 bytes.
 */
export function serializeNpy(array: NpyData, source = 'serializeNpy'): Uint8Array {
  const { shape, data } = array;
  if (!shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw ioError(source, `invalid shape ${JSON.stringify(shape)}`);
  }
  if (data.length !== numel(shape)) {
    throw ioError(source, `data has ${data.length} values but shape ${formatShape(shape)} needs ${numel(shape)}`);
  }
  const dict = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeTuple(shape)}, }`;
  const preamble = 10; // magic (6) + version (2) + u16 header length (2)
  const headerLength = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  const out = new Uint8Array(preamble + headerLength + data.byteLength);
  out.set(MAGIC, 0);
  out.set([1, 0], 6);
  dataViewOf(out).setUint16(8, headerLength, true);
  out.set(new TextEncoder().encode(header), preamble);
  out.set(bytesOf(data), preamble + headerLength);
  return out;
}
