/**
 * A sweep on a SLURM cluster (`pipeweave/slurm`): each mapped function's elements go out as
 * `sbatch --array` jobs with the function's resources, array tasks run `pipeweave worker
 * <module>#<name> --slurm` and write their results into the run folder, and the reduction runs
 * here. Prints the results and each function's jobs as `pipeweave status` shows them.
 *
 * Needs SLURM: on a cluster, run it from a login node with the run folder on a filesystem the
 * nodes share; on one machine, start a one-node test cluster first with
 * `sudo scripts/slurm-local.sh start`. Run with `npx tsx examples/slurm.ts`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { definePipeline, type NdArray, Pipeline, pipefunc, runStatus } from "../src/index.ts";
import { slurm } from "../src/slurm/index.ts";

/** The energy of a damped oscillator at damping `gamma` and frequency `omega`. */
const energy = pipefunc(
  {
    output: "energy",
    mapspec: "gamma[i], omega[j] -> energy[i, j]",
    // Each array task gets one cpu, 200 MB and 5 minutes (sbatch's --cpus-per-task, --mem, --time).
    resources: { cpus: 1, memory: "200MB", time: "0:05:00" },
  },
  ({ gamma, omega }: { gamma: number; omega: number }) =>
    Math.exp(-gamma * 10) * (1 + omega * omega) * 0.5,
);
const peak = pipefunc(
  { output: "peak", mapspec: "energy[:, :] -> peak" },
  ({ energy }: { energy: NdArray<number> }) => Math.max(...energy.values()),
);

export const pipeline = definePipeline(
  import.meta.url,
  "oscillators",
  () => new Pipeline([energy, peak], { name: "oscillators" }),
);

function slurmAnswers(): boolean {
  try {
    return execFileSync("sinfo", ["-h", "-o", "%P"], { encoding: "utf8" }).trim() !== "";
  } catch {
    return false;
  }
}

if (!slurmAnswers()) {
  console.log("no SLURM answers here (sinfo): start one with sudo scripts/slurm-local.sh start");
} else {
  const runFolder = join(mkdtempSync(join(tmpdir(), "pipeweave-example-slurm-")), "run");
  const executor = slurm({ chunkSize: 4 });
  try {
    const gamma = [0.01, 0.02, 0.05];
    const omega = [1, 2, 3, 4];
    const results = await pipeline.map({ gamma, omega }, { executor, runFolder, progress: false });
    console.log(`energy shape = ${JSON.stringify(results.energy.array.shape)}`);
    console.log(`peak = ${(results.peak.output as number).toFixed(4)}`);
    for (const f of runStatus(runFolder).functions) {
      const jobs = (f.jobs ?? []).map((j) => `job ${j.job} ${JSON.stringify(j.states)}`);
      console.log(
        `${f.name}: ${f.done}/${f.total} done${jobs.length ? `; ${jobs.join(", ")}` : " here"}`,
      );
    }
  } finally {
    await executor.close();
    rmSync(join(runFolder, ".."), { recursive: true, force: true });
  }
}
