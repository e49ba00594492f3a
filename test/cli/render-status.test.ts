/**
 * The text of `pipeweave status`, `watch` and `runs`: failed and skipped elements counted
 * apart, a run done with failures shown as a warning, numbers written for people.
 */
import { describe, expect, it } from "vitest";
import { renderRuns, renderStatus } from "../../src/cli/render-status.ts";
import { createStyle } from "../../src/cli/style.ts";
import type { FunctionStatus, RunStatus } from "../../src/index.ts";

const YELLOW = "\u001b[33m";
const GREEN = "\u001b[32m";

const fn = (name: string, counts: Partial<FunctionStatus>): FunctionStatus => ({
  name,
  outputs: [name],
  state: "done",
  done: 0,
  failed: 0,
  skipped: 0,
  total: 0,
  elapsedMs: 1500,
  ...counts,
});

const run = (fields: Partial<RunStatus>): RunStatus => ({
  format: 1,
  runFolder: "/runs/grid",
  pipeline: "grid",
  state: "done",
  pid: 42,
  host: "here",
  startedAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-01T00:01:00.000Z",
  elapsedMs: 60_000,
  etaMs: null,
  functions: [
    fn("fit", { done: 12_345, failed: 3, total: 12_348 }),
    fn("score", { done: 10, skipped: 2, total: 12 }),
  ],
  failedElements: 3,
  skippedElements: 2,
  ...fields,
});

const now = Date.parse("2025-01-01T00:01:00.000Z");
const plain = createStyle(false);
const color = createStyle(true);

describe("renderStatus", () => {
  it("says done with its failed and skipped elements, in a warning colour", () => {
    const text = renderStatus(run({}), plain, now);
    expect(text).toMatch(/^State\s+done, 3 failed, 2 skipped$/m);
    const painted = renderStatus(run({}), color, now);
    expect(painted).toContain(`${YELLOW}done, 3 failed, 2 skipped`);
    expect(painted).not.toContain(`${GREEN}done, 3 failed`);
  });

  it("says done in green when nothing failed", () => {
    const clean = run({
      functions: [fn("fit", { done: 4, total: 4 })],
      failedElements: undefined,
      skippedElements: undefined,
    });
    expect(renderStatus(clean, plain, now)).toMatch(/^State\s+done$/m);
    expect(renderStatus(clean, color, now)).toContain(`${GREEN}done`);
  });

  it("lists failed and skipped apart, counts with thousands separators", () => {
    const text = renderStatus(run({}), plain, now);
    expect(text).toMatch(/^function\s+state\s+done\s+failed\s+skipped\s+total\s+elapsed$/m);
    expect(text).toMatch(/^fit\s+done\s+12,345\s+3\s+0\s+12,348\s+1\.5 s$/m);
    expect(text).toMatch(/^score\s+done\s+10\s+0\s+2\s+12\s+1\.5 s$/m);
  });

  it("writes elapsed time and ETA in minutes and seconds", () => {
    const going = run({ state: "running", elapsedMs: 125_000, etaMs: 80_000 });
    const text = renderStatus(going, plain, now);
    expect(text).toMatch(/^Elapsed\s+2 min 5 s$/m);
    expect(text).toMatch(/^ETA\s+1 min 20 s$/m);
    expect(text).toMatch(/^State\s+running/m);
  });
});

describe("renderRuns", () => {
  it("shows a run done with failures as such, in a warning colour, with its counts apart", () => {
    const text = renderRuns([run({})], "/runs", plain, now);
    expect(text).toMatch(
      /^grid\s+grid\s+done, 3 failed, 2 skipped\s+12,355\/12,360 \(3 failed, 2 skipped\)\s+1 min ago$/m,
    );
    expect(renderRuns([run({})], "/runs", color, now)).toContain(`${YELLOW}done, 3 failed`);
  });
});
