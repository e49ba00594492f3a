import { describe, expect, it } from "vitest";
import { pool, stream, WorkerState } from "../../src/index.ts";

describe("WorkerState", () => {
  it("get returns the fallback when the key is absent, and the stored value otherwise", () => {
    const state = new WorkerState("s", 0);
    expect(state.get("n", 7)).toBe(7);
    expect(state.get("n")).toBeUndefined();
    state.set("n", 1);
    expect(state.get("n", 7)).toBe(1);
  });

  it("get returns a stored undefined, null or 0 rather than the fallback", () => {
    const state = new WorkerState("s", 0);
    state.set("u", undefined);
    state.set("z", null);
    state.set("zero", 0);
    expect(state.get("u", "fallback")).toBeUndefined();
    expect(state.get("z", "fallback")).toBeNull();
    expect(state.get("zero", 5)).toBe(0);
  });

  it("get ignores keys inherited from Object.prototype", () => {
    const state = new WorkerState("s", 0);
    expect(state.get("toString", "fallback")).toBe("fallback");
    expect(state.get("constructor")).toBeUndefined();
  });

  it("counts per worker with get(key, fallback) inside a stage", async () => {
    const counts: number[] = [];
    const work = pool({ name: "count" }, (n: number, state) => {
      const seen = state.get("seen", 0) + 1;
      counts.push(state.set("seen", seen));
      return n;
    });
    await stream([1, 2, 3]).pipe(work).run();
    expect(counts).toEqual([1, 2, 3]);
  });
});
