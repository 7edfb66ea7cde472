export { parseSafetensors, serializeSafetensors } from './safetensors';
export type { DType, RawTensor, SafetensorsContents, TensorData } from './safetensors';
export { parseNpy, serializeNpy } from './npy';
export type { NpyArray, NpyData, NpyDType } from './npy';
