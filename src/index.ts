export { type AdaptiveOptions, createLearner } from "./adaptive/adaptive.ts";
export {
  type BalancedPoint,
  BalancingLearner,
  type BalancingLearnerOptions,
} from "./adaptive/balancing.ts";
export type { AdaptiveGoal, AdaptiveProgress } from "./adaptive/goal.ts";
export { Learner1D, type Learner1DOptions } from "./adaptive/learner1d.ts";
export { Learner2D, type Learner2DOptions } from "./adaptive/learner2d.ts";
export { type LoadAdaptiveOptions, loadAdaptive } from "./adaptive/load.ts";
export {
  curvatureLoss,
  defaultLoss,
  type Interval1D,
  type Loss1D,
  type Loss1DName,
  type ScaledPoint,
} from "./adaptive/loss.ts";
export { defaultLoss2D, type Loss2D, type Triangle2D } from "./adaptive/loss2d.ts";
export {
  type AdaptiveFailure,
  type AdaptivePointResult,
  AdaptiveResult,
  type AdaptiveResultParts,
} from "./adaptive/result.ts";
export type { AdaptivePoint, AdaptiveValue, Learner } from "./adaptive/types.ts";
export type { CacheOptions } from "./cache/options.ts";
export type {
  RedisAddress,
  RedisCacheClient,
  RedisCacheOptions,
  RedisConnectionOptions,
} from "./cache/redis-options.ts";
export { CACHE_MISS, type CacheStats, type CacheStore } from "./cache/store.ts";
export { serveDashboard } from "./dashboard/run-folder.ts";
export type { Dashboard, DashboardOptions } from "./dashboard/server.ts";
export type {
  ErrorCode,
  ErrorMessage,
  OptionNamer,
  ValidationIssue,
  VariantChoices,
} from "./errors.ts";
export {
  AbortError,
  AmbiguousOutputError,
  AsyncInSyncRunError,
  BatchResultError,
  CacheKeyError,
  CacheValueError,
  CircuitOpenError,
  CycleError,
  DashboardError,
  DatasetError,
  DuplicateInputError,
  ExecutorError,
  FixedIndicesError,
  InvalidArgumentError,
  InvalidOptionError,
  MapRequiredError,
  MapSpecError,
  MapSpecSyntaxError,
  McpListenError,
  MissingDependencyError,
  MissingInputError,
  NdArrayError,
  NodeExecutionError,
  OutputAxesError,
  OutputNotStoredError,
  OutputTooLargeError,
  OutsideRootError,
  PipelineDefinitionError,
  PipelineModuleError,
  PipeweaveError,
  RedisConnectionError,
  RegistryConflictError,
  RegistryCorruptError,
  RegistryValueError,
  RunFolderCorruptError,
  RunFolderExistsError,
  RunFolderLockedError,
  RunFolderMismatchError,
  RunFolderNotEmptyError,
  RunFolderNotFoundError,
  RunFolderWriteError,
  ShapeMismatchError,
  ShapeTooLargeError,
  StageTimeoutError,
  StorageValueError,
  UnclonableValueError,
  UndeclaredCaptureError,
  UndeclaredHandlerError,
  UndeclaredPipelineError,
  UnknownOutputError,
  UnknownVariantError,
  UnusedInputError,
  ValidationError,
  VariantRequiredError,
} from "./errors.ts";
export { InlineExecutor } from "./executor/inline.ts";
export {
  type ResolvedResources,
  type Resources,
  type ResourcesOption,
  type ResourcesScope,
  resolveResources,
  resourcesFor,
} from "./executor/resources.ts";
export {
  type SharedThreadsOptions,
  ThreadExecutor,
  type ThreadExecutorOptions,
  type ThreadExecutorStats,
} from "./executor/threads.ts";
export type {
  Chunk,
  ChunkItem,
  Executor,
  ExecutorRun,
  ItemResult,
  SerializedError,
  WholeArgument,
} from "./executor/types.ts";
export type {
  DefaultDescription,
  FunctionDescription,
  InputDescription,
  OutputDescription,
  PipelineDescription,
} from "./graph/describe.ts";
export type { NodeCall, RunListener } from "./graph/events.ts";
export type { ExecutionOrder } from "./graph/graph.ts";
export type { HistoryEntry, HistorySource } from "./graph/history.ts";
export { namedPartial } from "./graph/named-partial.ts";
export type { NodeInputs, NodeOptions, NodeOutputs } from "./graph/node.ts";
export { Node } from "./graph/node.ts";
export type { PipeFuncOptions, PipeFuncSchema } from "./graph/pipe-func.ts";
export { PipeFunc, pipefunc } from "./graph/pipe-func.ts";
export type {
  Generations,
  PipelineInfo,
  PipelineOptions,
  RunOptions,
  UntypedPipeFunc,
} from "./graph/pipeline.ts";
export { Pipeline } from "./graph/pipeline.ts";
export type {
  AnyPipeFunc,
  CheckConnections,
  ConnectionTypeError,
  InputMap,
  OutputMap,
  OutputName,
  RunInputs,
} from "./graph/types.ts";
export {
  DEFAULT_VARIANT_GROUP,
  type VariantGroupView,
  type VariantMark,
  type VariantPipelineOptions,
  type VariantRunOptions,
  type VariantSelection,
  type VariantSelectionOf,
} from "./graph/variants.ts";
export { definePipeline, type PipelineReference } from "./map/define.ts";
export { ErrorSnapshot } from "./map/error-snapshot.ts";
export type { ProgressListener } from "./map/events.ts";
export {
  type GatheredResults,
  gatherMaps,
  LaunchedMaps,
  type LaunchedRun,
  type LaunchOptions,
  type LaunchSpec,
  launchMaps,
  type MapsStatus,
} from "./map/launch.ts";
export { type LoadOptions, loadAll, loadOutputs } from "./map/load.ts";
export {
  type MapAsyncOptions,
  MapRun,
  type MapRunEnd,
  type MapRunState,
} from "./map/map-run.ts";
export type { MapRunEndState, MapRunEvent } from "./map/map-run-events.ts";
export {
  type ArraySpec,
  formatMapSpec,
  type MapSpec,
  parseMapSpec,
} from "./map/mapspec.ts";
export { isMissing, MISSING, type Missing } from "./map/missing.ts";
export { NdArray, type NdArrayJSON } from "./map/ndarray.ts";
export type {
  FixedIndices,
  FunctionSummary,
  MapSummary,
  OnlyOutputs,
  SummaryOnly,
} from "./map/partial.ts";
export type { MapResults, MapResultsMembers, OutputResult, Row } from "./map/results.ts";
export type { ExecutorChoice, MapInputs, MapOptions } from "./map/run-map.ts";
export type { OutputStore, StorageKind } from "./map/storage/types.ts";
export { isSweep, Sweep, sweep } from "./map/sweep.ts";
export type {
  TraceAttributeValue,
  TraceDetail,
  TracingOption,
  TracingOptions,
  TracingSpan,
  TracingSpanContext,
  TracingSpanOptions,
  TracingTracer,
} from "./otel/types.ts";
export type { ProfileStats } from "./profile/profiler.ts";
export type { Placement, Registry, RegistryOptions } from "./registry/registry.ts";
export { type DatasetSource, type TableOptions, toArrow, writeParquet } from "./results/arrow.ts";
export type { Coordinate, CoordinateKind, CoordinateValue } from "./results/coordinates.ts";
export {
  DataArray,
  Dataset,
  type DatasetParts,
  type DatasetRow,
  type SelOptions,
} from "./results/dataset.ts";
export { loadDataset } from "./results/load-dataset.ts";
export {
  type ListRunsOptions,
  listRuns,
  runStatus,
  STALE_AFTER_MS,
} from "./status/read.ts";
export {
  type ElementErrorStatus,
  type FunctionStatus,
  LATEST_ERRORS,
  type RunState,
  type RunStatus,
  type SlurmJobStatus,
  type WorkerStatus,
} from "./status/types.ts";
export type { BackoffOptions, Jitter } from "./stream/backoff.ts";
export { type BatchOptions, batch, type UnbatchOptions, unbatch } from "./stream/batch.ts";
export type { BreakerOptions, CircuitState } from "./stream/breaker.ts";
export {
  type AnyHandler,
  defineHandler,
  type HandlerReference,
} from "./stream/define-handler.ts";
export {
  type StageStats,
  type StreamErrorStats,
  StreamMonitor,
  type StreamStats,
} from "./stream/monitor.ts";
export { RateLimiter, type RateOptions, rateLimiter } from "./stream/rate-limit.ts";
export { Err, isErr, isOk, Ok, type Result, unwrap, unwrapOr } from "./stream/result.ts";
export { SKIP, type Skip } from "./stream/skip.ts";
export {
  type AnyStage,
  type AttemptContext,
  fork,
  type Handler,
  type HandlerOutput,
  type ItemOf,
  mix,
  type PoolOptions,
  pool,
  type ResolvedPoolOptions,
  type Stage,
  type StageFunction,
} from "./stream/stage.ts";
export {
  Stream,
  type StreamRunOptions,
  type StreamSource,
  type StreamSummary,
  stream,
} from "./stream/stream.ts";
export { WorkerState } from "./stream/worker-state.ts";
