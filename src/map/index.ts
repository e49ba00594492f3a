/**
 * What the rest of pipeweave (the graph's `Pipeline.map`, `mapspecAxes`, `addMapspecAxis`)
 * uses of the sweep engine: its entry points, not its internals.
 */
export { addMapspecAxis } from "./add-axis.ts";
export { sweepLayout } from "./layout.ts";
export { followBoth, type MapAsyncOptions, MapRun } from "./map-run.ts";
export type { MapSummary, OnlyOutputs, SummaryOnly } from "./partial.ts";
export type { MapResults } from "./results.ts";
export {
  type MapHooks,
  type MapInputs,
  type MapOptions,
  runMap,
  type SweepInputs,
} from "./run-map.ts";
