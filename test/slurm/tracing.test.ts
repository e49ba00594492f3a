/**
 * A traced map on SLURM is one trace: each array task continues its chunk's span (the
 * traceparent is in the job folder), and its elements' spans sit under their chunks.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ATTRIBUTES } from "../../src/otel/names.ts";
import { slurm } from "../../src/slurm/index.ts";
import { grid } from "../otel/fixtures/traced-pipelines.mjs";
import { recordSpans, unregister } from "../otel/in-memory.ts";
import { slurmAvailable } from "../slurm-available.ts";
import { folders } from "./helpers.ts";

const available = slurmAvailable("the SLURM tracing tests");

describe.runIf(available)("tracing a map on SLURM", () => {
  const dirs = folders("otel");
  afterAll(() => dirs.cleanUp());
  afterEach(unregister);

  it("gives each array task's elements spans under their chunk, naming the task's process", async () => {
    const rec = recordSpans();
    const executor = slurm({ chunkSize: 2, pollMs: 200 });
    try {
      const results = await grid.map(
        { x: [1, 2, 4], y: [1, 2] },
        { executor, runFolder: dirs.make(), progress: false, tracing: rec.tracer },
      );
      expect(results.total!.output).toBe(21);
    } finally {
      await executor.close();
    }
    const chunks = rec.spans().filter((s) => s.name === "chunk times");
    expect(chunks).toHaveLength(3);
    const times = rec.one("function times");
    for (const c of chunks) {
      expect(c.parentSpanContext?.spanId).toBe(times.spanContext().spanId);
      expect(c.attributes[ATTRIBUTES.executor]).toBe("slurm");
    }
    const chunkIds = new Set(chunks.map((c) => c.spanContext().spanId));
    const elements = rec.spans().filter((s) => s.name === "element times");
    expect(elements).toHaveLength(6);
    for (const e of elements) {
      expect(chunkIds.has(e.parentSpanContext!.spanId)).toBe(true);
      const worker = String(e.attributes[ATTRIBUTES.worker]);
      expect(worker).toMatch(/^.+:\d+$/);
      expect(worker.endsWith(`:${process.pid}`)).toBe(false);
    }
  }, 120_000);
});
