/**
 * Where a run keeps its files (metrics.jsonl, curves, checkpoints). Paths are relative, '/'-separated. Every method
 * may be asynchronous, so a browser store (IndexedDB, OPFS) fits the same interface as the Node filesystem
 * (`NodeStorage` in `@nextnets/train/node`).
 */
export interface TrainStorage {
  /** Names the store in messages (a folder path, 'memory'). */
  readonly location: string;
  /** The file's bytes, or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Writes a whole file atomically: a reader sees the old or the new content, never a mix. */
  write(path: string, data: Uint8Array | string): Promise<void>;
  /** Appends text to a file (creating it). */
  append(path: string, text: string): Promise<void>;
  /** Whether a file or folder exists. */
  exists(path: string): Promise<boolean>;
  /** Removes a file or folder recursively; no error when absent. */
  remove(path: string): Promise<void>;
  /** Renames a file or folder (the target must not exist). */
  rename(from: string, to: string): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 text of a stored file, or undefined. */
export async function readText(storage: TrainStorage, path: string): Promise<string | undefined> {
  const bytes = await storage.read(path);
  return bytes && decoder.decode(bytes);
}

/** Joins relative path parts with '/'. */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/**
 * Replaces folder `dir` by a freshly written one: fill `dir.tmp`, move the old folder to `dir.old`, move the new one
 * in, delete the old one. After a crash at any point either `dir` or `dir.old` holds a complete folder.
 */
export async function replaceFolder(storage: TrainStorage, dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  await storage.remove(tmp);
  await fill(tmp);
  await storage.remove(old);
  if (await storage.exists(dir)) await storage.rename(dir, old);
  await storage.rename(tmp, dir);
  await storage.remove(old);
}

/** Files kept in a Map: for tests, browsers and runs that need no files. */
export class MemoryStorage implements TrainStorage {
  readonly location = 'memory';
  readonly files = new Map<string, Uint8Array>();

  async read(path: string): Promise<Uint8Array | undefined> {
    return this.files.get(path);
  }

  async write(path: string, data: Uint8Array | string): Promise<void> {
    this.files.set(path, typeof data === 'string' ? encoder.encode(data) : data.slice());
  }

  async append(path: string, text: string): Promise<void> {
    const old = this.files.get(path) ?? new Uint8Array(0);
    const add = encoder.encode(text);
    const next = new Uint8Array(old.length + add.length);
    next.set(old);
    next.set(add, old.length);
    this.files.set(path, next);
  }

  private under(path: string): string[] {
    return [...this.files.keys()].filter((key) => key === path || key.startsWith(`${path}/`));
  }

  async exists(path: string): Promise<boolean> {
    return this.under(path).length > 0;
  }

  async remove(path: string): Promise<void> {
    for (const key of this.under(path)) this.files.delete(key);
  }

  async rename(from: string, to: string): Promise<void> {
    if (this.under(to).length > 0) throw new Error(`MemoryStorage: cannot rename ${from} to ${to}: the target exists`);
    for (const key of this.under(from)) {
      this.files.set(to + key.slice(from.length), this.files.get(key)!);
      this.files.delete(key);
    }
  }

  /** The paths stored, sorted. */
  list(): string[] {
    return [...this.files.keys()].sort();
  }
}
