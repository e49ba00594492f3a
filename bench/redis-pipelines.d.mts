import type { Pipeline } from "../src/index.ts";

/** Types of redis-pipelines.mjs (plain JavaScript, so its source reads the same everywhere). */
export declare const trivial: Pipeline;
export declare const cpu: Pipeline;
export declare const lookup: Pipeline;
