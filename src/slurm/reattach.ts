/**
 * On `resume: true`: the results earlier tasks left in the run folder, and the tasks of its
 * jobs still queued or running, to follow again so that their elements are not submitted twice.
 */
import type { ItemResult } from "../executor/types.ts";
import type { PipelineReference } from "../map/define.ts";
import { isEnded, listTasks } from "./commands.ts";
import {
  type JobDescription,
  listJobFolders,
  listResults,
  readItems,
  readJob,
  readJobId,
} from "./job-folder.ts";
import { byPart, decodeResult, readResultFile, type Task } from "./task.ts";

/**
 * Hands every result stored in the run's job folders to `deliver`, and returns the tasks
 * squeue still lists as queued or running whose elements are not all in.
 */
export async function reattach(
  runFolder: string,
  deliver: (output: string, result: ItemResult) => void,
): Promise<Task[]> {
  const folders = listJobFolders(runFolder);
  const jobIds = new Map<string, string>();
  for (const dir of folders) {
    const id = readJobId(dir);
    if (id) jobIds.set(dir, id);
  }
  const listed = (await listTasks([...new Set(jobIds.values())])) ?? new Map();
  const live: Task[] = [];
  for (const dir of folders) {
    let job: JobDescription;
    try {
      job = readJob(dir);
    } catch {
      continue;
    }
    const { parts, ended } = listResults(dir);
    const jobId = jobIds.get(dir);
    for (let k = 0; k < job.tasks; k++) {
      const received = new Set<number>();
      const readParts = new Set<string>();
      for (const file of (parts.get(k) ?? []).sort(byPart)) {
        readParts.add(file);
        const read = readResultFile(file);
        // A damaged file: its elements are computed again.
        if (!read) continue;
        try {
          for (const r of read.results) {
            received.add(r.index);
            deliver(job.output, decodeResult(r, read.worker));
          }
        } catch {
          // A value that cannot be decoded: computed again, as a damaged file's.
        }
      }
      const queued = jobId ? listed.get(`${jobId}_${k}`) : undefined;
      if (ended.has(k) || !queued || isEnded(queued.state)) continue;
      let elements: number[];
      try {
        elements = readItems(dir, k).map((i) => i.index);
      } catch {
        continue;
      }
      if (elements.every((e) => received.has(e))) continue;
      const ref: PipelineReference = { module: job.module, name: job.declared };
      live.push({
        dir,
        task: k,
        output: job.output,
        node: job.node,
        shape: job.shape,
        elements,
        resources: undefined,
        job,
        ref,
        jobId,
        received,
        readParts,
        state: queued.state,
        reason: queued.reason,
        unlisted: 0,
      });
    }
  }
  return live;
}
