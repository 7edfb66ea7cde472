import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile } from '@nextnets/core-layers/node';
import { checkIndex, type Dataset, type DatasetDescriptor, type Sample } from './types';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const RECORD = 1 + 3 * 32 * 32;

export interface Cifar10Options {
  split?: 'train' | 'test';
}

/** CIFAR-10 binary version: records of 1 label byte + 3072 bytes (R plane, G plane, B plane; 32x32 each). */
export class Cifar10Dataset implements Dataset {
  readonly classes = CIFAR10_CLASSES;
  readonly length: number;
  private readonly records: Buffer;

  constructor(readonly files: string[]) {
    const buffers = files.map((file) => {
      const bytes = readRegularFile(file);
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (data.length === 0 || data.length % RECORD !== 0) {
        throw new Error(`${file}: size ${data.length} is not a multiple of the CIFAR-10 record size ${RECORD}`);
      }
      return data;
    });
    this.records = Buffer.concat(buffers);
    this.length = this.records.length / RECORD;
  }

  get descriptor(): DatasetDescriptor {
    return { kind: 'cifar10', files: this.files };
  }

  getSync(index: number): Sample {
    checkIndex(index, this.length, 'Cifar10');
    const base = index * RECORD;
    const label = this.records[base];
    if (label > 9) throw new Error(`Cifar10: record ${index} has label byte ${label} (> 9)`);
    const data = new Uint8Array(32 * 32 * 3);
    // CHW planes -> HWC
    for (let p = 0; p < 1024; p++) {
      data[3 * p] = this.records[base + 1 + p];
      data[3 * p + 1] = this.records[base + 1 + 1024 + p];
      data[3 * p + 2] = this.records[base + 1 + 2048 + p];
    }
    return { image: { data, height: 32, width: 32, channels: 3 }, label };
  }

  async get(index: number): Promise<Sample> {
    return this.getSync(index);
  }
}

/** Opens `data_batch_1..5.bin` (train) or `test_batch.bin` (test) under `root` (the `cifar-10-batches-bin` folder). */
export function Cifar10(root: string, options: Cifar10Options = {}): Cifar10Dataset {
  const names = (options.split ?? 'train') === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const files = names.map((name) => join(root, name));
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`Cifar10: missing ${missing.join(', ')}`);
  return new Cifar10Dataset(files);
}
