/**
 * Request/reply over a worker thread, shared by the data loader's workers and the data-parallel replicas: each task
 * carries an `id`, its reply the same `id`; a pending map pairs them. The worker keeps the process alive only while
 * tasks are pending, and a crash or exit rejects every pending task (and every later one) with a one-line error.
 * Only the Worker's type is imported, so this module loads anywhere.
 */
import type { Worker } from 'node:worker_threads';

interface Pending<R> {
  resolve(reply: R): void;
  reject(error: Error): void;
}

export class WorkerRpc<T extends { id: number }, R extends { id: number }> {
  private readonly pending = new Map<number, Pending<R>>();
  private failure: Error | undefined;

  /**
   * @param label names the worker in errors (`DataLoader worker`, `DataParallel replica 2`)
   * @param errorOf the error message a reply carries, or undefined for a good reply
   */
  constructor(
    readonly worker: Worker,
    readonly label: string,
    errorOf: (reply: R) => string | undefined,
  ) {
    worker.unref();
    worker.on('message', (reply: R) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      const error = errorOf(reply);
      if (error !== undefined) waiter.reject(new Error(`${label}: ${error}`));
      else waiter.resolve(reply);
    });
    worker.on('error', (error: Error) => this.fail(new Error(`${label} crashed: ${error.message}`)));
    worker.on('exit', (code: number) => this.fail(new Error(`${label} exited with code ${code}`)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  /** Posts `task` (moving the `transfer` buffers) and resolves to its reply. */
  run(task: T, transfer: ArrayBuffer[] = []): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(task.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(task, transfer);
    });
  }

  /** Stops the worker; pending and later tasks fail with `<label> was closed`. */
  terminate(): Promise<number> {
    this.failure ??= new Error(`${this.label} was closed`);
    return this.worker.terminate();
  }
}
