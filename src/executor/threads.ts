import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { UndeclaredPipelineError } from "../errors.ts";
import type { ThreadTask } from "./thread-worker.ts";
import { decode, encode } from "./transfer.ts";
import type { Chunk, Executor, ItemResult } from "./types.ts";

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
    const self = import.meta.url;
    const ext = self.endsWith(".ts") ? ".ts" : ".js";
    this.#pool = new Piscina({
      filename: new URL(`./thread-worker${ext}`, self).href,
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
    };
    const results = await this.#pool.run(task, signal ? { signal } : {});
    return results.map((r) => (r.ok ? { ...r, value: decode(r.value) } : r));
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/**
 * Worker threads inherit the process's flags. When no TypeScript loader is among them (a test
 * runner that transforms in-process, or a built pipeweave used by a `.ts` pipeline module),
 * add tsx's loader when it is installed, so workers can import `.ts` modules.
 */
function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (argv.some((a) => a.includes("tsx"))) return argv;
  try {
    argv.push("--import", import.meta.resolve("tsx"));
  } catch {
    // No tsx: workers load plain JavaScript only, which is what a built package needs.
  }
  return argv;
}
