import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tempFolders } from "../temp-folders.ts";
import { growing } from "./fixtures/grow-pipeline.ts";

const folder = tempFolders("pipeweave-grow-property-");
const value = fc.integer({ min: -50, max: 50 });

type Inputs = {
  a: number[];
  w: number[];
  b: number[];
};

/** First lengths, then growth steps: values appended along i (a and w zipped) and j. */
const pattern = fc.record({
  storage: fc.constantFrom("file" as const, "zarr" as const),
  first: fc.record({
    i: fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 4 }),
    j: fc.array(value, { minLength: 1, maxLength: 4 }),
  }),
  steps: fc.array(
    fc.record({
      i: fc.array(fc.tuple(value, value), { maxLength: 3 }),
      j: fc.array(value, { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

describe('resume: "extend" (property)', () => {
  it("extend-then-resume equals a fresh run, computing only the new elements of c", async () => {
    await fc.assert(
      fc.asyncProperty(pattern, async ({ storage, first, steps }) => {
        const runFolder = folder();
        const inputs: Inputs = {
          a: first.i.map(([a]) => a),
          w: first.i.map(([, w]) => w),
          b: [...first.j],
        };
        await growing.map(inputs, { runFolder, storage, progress: false });
        for (const step of steps) {
          const before = inputs.a.length * inputs.b.length;
          inputs.a.push(...step.i.map(([a]) => a));
          inputs.w.push(...step.i.map(([, w]) => w));
          inputs.b.push(...step.j);
          let computed = 0;
          const progress = {
            onProgress(node: string, done: number) {
              if (node === "c") computed += done;
            },
          };
          const grown = await growing.map(
            { a: [...inputs.a], w: [...inputs.w], b: [...inputs.b] },
            { runFolder, storage, resume: "extend", progress },
          );
          const fresh = await growing.map(inputs, { progress: false });
          expect(computed).toBe(inputs.a.length * inputs.b.length - before);
          for (const o of ["c", "rows", "cols"] as const) {
            expect(grown[o].array.shape).toEqual(fresh[o].array.shape);
            expect(grown[o].array.data).toEqual(fresh[o].array.data);
          }
          expect(grown.total.output).toBe(fresh.total.output);
        }
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
