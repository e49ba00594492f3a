import { execFileSync } from "node:child_process";

/** Whether a SLURM controller answers on this machine (`sinfo` lists a partition). */
function slurmAnswers(): boolean {
  try {
    const out = execFileSync("sinfo", ["-h", "-o", "%P"], { encoding: "utf8", timeout: 10_000 });
    return out.trim() !== "";
  } catch {
    return false;
  }
}

/**
 * Whether the tests that need a real SLURM can run. Without one they are skipped with a
 * visible notice; under `CI=true` a missing SLURM is an error, since CI must run them.
 *
 * @param what - The tests, as the notice names them ("the SLURM executor tests").
 */
export function slurmAvailable(what: string): boolean {
  const available = slurmAnswers();
  if (!available) {
    if (process.env.CI === "true") {
      throw new Error(
        `CI=true but no SLURM answers (sinfo failed); ${what} must run in CI. Start the ` +
          "local cluster with scripts/slurm-local.sh start.",
      );
    }
    console.warn(
      `[pipeweave] No SLURM answers here (sinfo): skipping ${what}. Start a one-node cluster ` +
        "with scripts/slurm-local.sh start (as root) to run them.",
    );
  }
  return available;
}
