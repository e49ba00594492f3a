/**
 * Runs one README module (built by `runSource`) in this process, as a user's script would run,
 * and writes what its claimed statements gave to a JSON file. Started by the README test as
 * `node --import tsx readme-runner.ts <module.ts> <results.json>`, in a fresh folder.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { BLOCK_MARK, type RunReport, show, showThrown } from "./readme-show.ts";

const [module, resultsFile] = process.argv.slice(2);
if (!module || !resultsFile) throw new Error("usage: readme-runner.ts <module.ts> <results.json>");

const report: RunReport = { checks: [], finished: false };
const save = () => writeFileSync(resultsFile, JSON.stringify(report));
const hooks = globalThis as unknown as Record<string, unknown>;
hooks.__pwReport = (line: number, ok: boolean, value: unknown) => {
  report.checks.push({ line, ok, shown: ok ? show(value) : showThrown(value) });
};
hooks.__pwBlock = (line: number) => {
  report.lastBlock = line;
  process.stdout.write(`${BLOCK_MARK}${line}\n`);
};
// Saved on exit as well: a snippet may leave handles open, and the test then reports that.
process.on("exit", save);

try {
  await import(pathToFileURL(module).href);
  report.finished = true;
} catch (error) {
  report.error = showThrown(error);
  process.exitCode = 1;
}
save();
