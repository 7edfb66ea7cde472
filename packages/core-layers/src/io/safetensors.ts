/**
 * safetensors codec on plain typed arrays (no tfjs, no node:fs).
 *
 * Layout: u64 little-endian header length N, then N bytes of UTF-8 JSON (padded with spaces),
 * then the raw little-endian tensor data. Each header entry is
 * `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` with offsets relative to the
 * start of the data; the optional `__metadata__` entry maps strings to strings.
 */
import { orderedTopLevelKeys } from './json-keys';
import { bytesOf, dataViewOf, float32At, formatShape, ioError, isValidShape, numel, quoteKey } from './util';

interface DTypeInfo {
  readonly bytes: number;
  readonly name: string;
  /** Reads one element at a byte offset as a JS number. */
  read(view: DataView, offset: number): number;
}

const scratch = new DataView(new ArrayBuffer(4));

function float32FromBits(bits: number): number {
  scratch.setUint32(0, bits >>> 0);
  return scratch.getFloat32(0);
}

/** IEEE 754 binary16 (1 sign, 5 exponent bits with bias 15, 10 mantissa bits) to a number. */
function halfToNumber(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return (half & 0x8000 ? -1 : 1) * mantissa * 2 ** -24; // zero or subnormal
  // Normal, Inf or NaN: re-bias the exponent to float32's 127 (all-ones stays all-ones) and widen the mantissa.
  const exponent32 = exponent === 0x1f ? 0xff : exponent + 112;
  return float32FromBits(((half & 0x8000) << 16) | (exponent32 << 23) | (mantissa << 13));
}

/** Two's-complement int64 as the nearest double (exact up to 2^53). */
function int64ToNumber(view: DataView, offset: number): number {
  return view.getInt32(offset + 4, true) * 2 ** 32 + view.getUint32(offset, true);
}

const DTYPES = {
  F64: { bytes: 8, name: 'float64', read: (v, o) => v.getFloat64(o, true) },
  F32: { bytes: 4, name: 'float32', read: (v, o) => v.getFloat32(o, true) },
  // bfloat16 is the upper half of a float32.
  BF16: { bytes: 2, name: 'bfloat16', read: (v, o) => float32FromBits(v.getUint16(o, true) << 16) },
  F16: { bytes: 2, name: 'float16', read: (v, o) => halfToNumber(v.getUint16(o, true)) },
  I64: { bytes: 8, name: 'int64', read: int64ToNumber },
  U64: { bytes: 8, name: 'uint64', read: (v, o) => v.getUint32(o + 4, true) * 2 ** 32 + v.getUint32(o, true) },
  I32: { bytes: 4, name: 'int32', read: (v, o) => v.getInt32(o, true) },
  U32: { bytes: 4, name: 'uint32', read: (v, o) => v.getUint32(o, true) },
  I16: { bytes: 2, name: 'int16', read: (v, o) => v.getInt16(o, true) },
  U16: { bytes: 2, name: 'uint16', read: (v, o) => v.getUint16(o, true) },
  I8: { bytes: 1, name: 'int8', read: (v, o) => v.getInt8(o) },
  U8: { bytes: 1, name: 'uint8', read: (v, o) => v.getUint8(o) },
  BOOL: { bytes: 1, name: 'bool', read: (v, o) => (v.getUint8(o) === 0 ? 0 : 1) },
} satisfies Record<string, DTypeInfo>;

/** safetensors dtypes this reader understands; all are converted to float32 on read. */
export type DType = keyof typeof DTYPES;

/** A tensor read from a safetensors file: `dtype` is the stored type, `data` always float32. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  data: Float32Array;
}

/** What the writer needs per tensor (a {@link RawTensor} qualifies). */
export interface TensorData {
  shape: readonly number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  /** Tensors in the header's key order (`__metadata__` excluded). */
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';

function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPES, value);
}

function isOffsetPair(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((n) => Number.isSafeInteger(n) && n >= 0) &&
    value[0] <= value[1]
  );
}

function decodeHeader(raw: Uint8Array, source: string): { text: string; header: Record<string, unknown> } {
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    header = JSON.parse(text);
  } catch (err) {
    throw ioError(source, `safetensors header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw ioError(source, 'safetensors header is not a JSON object');
  }
  return { text, header: header as Record<string, unknown> };
}

function checkMetadata(value: unknown, source: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ioError(source, `${METADATA_KEY} is not a JSON object`);
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw ioError(source, `${METADATA_KEY} value for ${quoteKey(key)} is a ${typeof entry}, expected a string`);
    }
  }
  return { ...(value as Record<string, string>) };
}

/** Validates one header entry against the data section and decodes its values to float32. */
function readTensor(key: string, entry: unknown, data: Uint8Array, source: string): RawTensor {
  const name = `tensor ${quoteKey(key)}`;
  if (typeof entry !== 'object' || entry === null) throw ioError(source, `${name} header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (!isDType(dtype)) {
    throw ioError(source, `${name} has unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  if (!isValidShape(shape)) throw ioError(source, `${name} has invalid shape ${JSON.stringify(shape)}`);
  if (!isOffsetPair(offsets)) {
    throw ioError(source, `${name} has invalid data_offsets ${JSON.stringify(offsets)} (need [begin, end] with 0 <= begin <= end)`);
  }
  const info: DTypeInfo = DTYPES[dtype];
  const [begin, end] = offsets;
  const count = numel(shape);
  if (end - begin !== count * info.bytes) {
    throw ioError(source, `${name} has ${end - begin} bytes but shape ${formatShape(shape)} ${info.name} needs ${count * info.bytes}`);
  }
  if (end > data.length) {
    throw ioError(source, `file is truncated: ${name} needs data bytes [${begin}, ${end}) but only ${data.length} follow the header`);
  }
  return { dtype, shape, data: decode(data, info, begin, count) };
}

function decode(data: Uint8Array, info: DTypeInfo, begin: number, count: number): Float32Array {
  if (info === DTYPES.F32) return float32At(data, begin, count);
  const view = dataViewOf(data);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = info.read(view, begin + i * info.bytes);
  return out;
}

/**
 * Parses a safetensors file held in memory. Every dtype is converted to float32; F32 tensors are
 * zero-copy views into `bytes` when 4-byte aligned (copies otherwise), so do not mutate `bytes` afterwards.
 * Throws a one-line Error naming `source` (and the tensor key) on any malformed input.
 */
export function parseSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsContents {
  if (bytes.length < 8) {
    throw ioError(source, `file has ${bytes.length} bytes, too short for a safetensors header (needs at least 8)`);
  }
  const headerLength = dataViewOf(bytes).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw ioError(source, `safetensors header length ${headerLength} exceeds the ${bytes.length - 8} bytes after the length field`);
  }
  const dataStart = 8 + Number(headerLength);
  const { text, header } = decodeHeader(bytes.subarray(8, dataStart), source);
  const data = bytes.subarray(dataStart);
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  for (const key of orderedTopLevelKeys(text, source)) {
    if (key === METADATA_KEY) metadata = checkMetadata(header[key], source);
    else tensors.set(key, readTensor(key, header[key], data, source));
  }
  return { tensors, metadata };
}

function checkTensorData(key: string, tensor: TensorData, seen: Set<string>, source: string): void {
  const name = `tensor ${quoteKey(key)}`;
  if (key === METADATA_KEY) throw ioError(source, `${METADATA_KEY} is reserved and cannot be a tensor key`);
  if (seen.has(key)) throw ioError(source, `duplicate ${name}`);
  if (!isValidShape(tensor.shape)) throw ioError(source, `${name} has invalid shape ${JSON.stringify(tensor.shape)}`);
  if (!(tensor.data instanceof Float32Array)) throw ioError(source, `${name} data is not a Float32Array`);
  const count = numel(tensor.shape);
  if (tensor.data.length !== count) {
    throw ioError(source, `${name} has ${tensor.data.length} values but shape ${formatShape(tensor.shape)} needs ${count}`);
  }
  seen.add(key);
}

/**
 * Serializes float32 tensors to safetensors bytes, in the iteration order given, with
 * `__metadata__` first (`format: 'pt'` unless overridden) and the JSON header padded with spaces
 * to a multiple of 8 bytes — the layout PyTorch's safetensors loader expects.
 */
export function serializeSafetensors(
  tensors: Iterable<readonly [string, TensorData]>,
  metadata: Record<string, string> = {},
  source = 'serializeSafetensors',
): Uint8Array {
  const meta = checkMetadata({ format: 'pt', ...metadata }, source);
  // The header is assembled entry by entry: JSON.stringify of an object would move integer-like keys first.
  const entries = [`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(meta)}`];
  const blocks: Float32Array[] = [];
  const seen = new Set<string>();
  let dataLength = 0;
  for (const [key, tensor] of tensors) {
    checkTensorData(key, tensor, seen, source);
    const offsets = [dataLength, dataLength + tensor.data.byteLength];
    entries.push(`${JSON.stringify(key)}:${JSON.stringify({ dtype: 'F32', shape: tensor.shape, data_offsets: offsets })}`);
    blocks.push(tensor.data);
    dataLength += tensor.data.byteLength;
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + dataLength);
  dataViewOf(out).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // space padding
  let position = 8 + headerLength;
  for (const block of blocks) {
    out.set(bytesOf(block), position);
    position += block.byteLength;
  }
  return out;
}
