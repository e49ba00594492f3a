/**
 * Span names and attribute keys: what a trace viewer shows and a query filters on. Names are
 * `<what> <name>` ("function fit", "element fit"); attribute keys are under `pipeweave.`.
 */

/** The name of each kind of span pipeweave makes, from the name of what it covers. */
export const SPAN_NAMES = {
  /** A graph run (`run`, `runSync`, `runAll`) of the pipeline. */
  run: (pipeline: string) => `run ${pipeline}`,
  /** A `map` of the pipeline. */
  map: (pipeline: string) => `map ${pipeline}`,
  /** One call of a function in a graph run; all of its elements in a `map`. */
  function: (fn: string) => `function ${fn}`,
  /** Elements of a function sent to an executor together. */
  chunk: (fn: string) => `chunk ${fn}`,
  /** One element of a function in a `map`. */
  element: (fn: string) => `element ${fn}`,
  /** A run of a stream: `stream <name>` with the run's `name` option, else `stream`. */
  stream: (name: string | undefined) => (name === undefined ? "stream" : `stream ${name}`),
  /** One stage of a stream, from its first item to its end. */
  stage: (stage: string) => `stage ${stage}`,
  /** One call of a stage's handler: an item, or a batch with `batched` pools. */
  item: (stage: string) => `item ${stage}`,
} as const;

/** The attribute keys pipeweave sets on its spans. */
export const ATTRIBUTES = {
  /** The pipeline's name. */
  pipeline: "pipeweave.pipeline",
  /** The function's name. */
  function: "pipeweave.function",
  /** The outputs a function produces, or that a run asked for. */
  outputs: "pipeweave.outputs",
  /** An element's position along its function's axes. */
  index: "pipeweave.index",
  /** Elements of a function (its span) or of a chunk (its span). */
  elements: "pipeweave.elements",
  /** Elements found already stored when the function started (a resumed run). */
  reused: "pipeweave.elements.reused",
  /** Elements that failed. */
  failed: "pipeweave.elements.failed",
  /** True when the value came from the cache and the function was not called. */
  cacheHit: "pipeweave.cache_hit",
  /** The executor that ran the elements: "inline", "threads", "redis", "slurm". */
  executor: "pipeweave.executor",
  /** The worker process that ran an element, `host:pid`. */
  worker: "pipeweave.worker",
  /** The worker thread that ran an element (its `threadId`). */
  thread: "pipeweave.thread_id",
  /** The attempt of a stream item's handler call, from 1. */
  attempt: "pipeweave.attempt",
  /** The stream's or stage's name. */
  stream: "pipeweave.stream",
  stage: "pipeweave.stage",
  /** Which of a stage's workers called the handler, from 0. */
  workerIndex: "pipeweave.worker_index",
  /** Items in a batch handed to a `batched` pool's handler. */
  items: "pipeweave.items",
  /** A stage's workers. */
  workers: "pipeweave.workers",
  /** Items a stage took in (`Err`s of earlier stages included), at its end. */
  itemsIn: "pipeweave.items.in",
  /** Items a stage put out that are not `Err`s; on a stream's span, all it gave, `Err`s too. */
  itemsOut: "pipeweave.items.out",
  /** Items a stage failed (`Err`s it produced, after its retries). */
  itemsFailed: "pipeweave.items.failed",
  /** Items a stage's handler dropped with `SKIP`. */
  itemsSkipped: "pipeweave.items.skipped",
  /** Attempts a stage started again after a failure. */
  retried: "pipeweave.retried",
  /** The `code` of the typed error a span failed with ("E_NODE_FAILED"). */
  errorCode: "pipeweave.error.code",
} as const;
