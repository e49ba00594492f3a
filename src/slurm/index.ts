export {
  type SlurmExecutor,
  type SlurmExecutorOptions,
  slurm,
} from "./executor.ts";
export type { JobRecord } from "./job-folder.ts";
export { runSlurmTask, type SlurmTaskOptions, type SlurmTaskSummary } from "./worker.ts";
