import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { UndeclaredPipelineError } from "../errors.ts";
import type { ThreadTask } from "./thread-worker.ts";
import { decode, encode } from "./transfer.ts";
import type { Chunk, Executor, ItemResult } from "./types.ts";
import { workerExecArgv, workerFile } from "./worker-runtime.ts";

/** Options of the {@link ThreadExecutor}. */
export interface ThreadExecutorOptions {
  /** Worker threads in the pool. @defaultValue `os.availableParallelism()` */
  readonly threads?: number;
}

/**
 * Runs chunks on a pool of worker threads (piscina). Each worker imports the module that
 * declared the pipeline with `definePipeline`, so functions run with their own closures and
 * imports. A worker that dies rejects only its chunk; piscina starts a replacement.
 */
export class ThreadExecutor implements Executor {
  readonly name = "threads";
  readonly remote = true;
  readonly #pool: Piscina<ThreadTask, ItemResult[]>;

  /** @param options - Pool size. */
  constructor(options: ThreadExecutorOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    this.#pool = new Piscina({
      filename: workerFile(import.meta.url, "thread-worker"),
      minThreads: threads,
      maxThreads: threads,
      execArgv: workerExecArgv(),
    });
  }

  /** Number of threads in the pool. */
  get threads(): number {
    return this.#pool.maxThreads;
  }

  async submit(chunk: Chunk, signal?: AbortSignal): Promise<ItemResult[]> {
    if (!chunk.pipeline) throw new UndeclaredPipelineError(chunk.node, "threads");
    const task: ThreadTask = {
      pipeline: chunk.pipeline,
      node: chunk.node,
      output: chunk.output,
      items: chunk.items.map((item) => ({ index: item.index, values: item.values.map(encode) })),
      validate: chunk.validate === true,
    };
    const results = await this.#pool.run(task, signal ? { signal } : {});
    return results.map((r) => (r.ok ? { ...r, value: decode(r.value) } : r));
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
