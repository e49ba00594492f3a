/**
 * `pool({ redis })` checks made when the stage is built, without Redis: the handler must be
 * declared, and a stage runs on threads or on Redis workers, not both. (Runs on Redis:
 * redis-stage.redis.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { InvalidOptionError, pool, UndeclaredHandlerError } from "../../src/index.ts";
import { picky } from "./fixtures/redis-handlers.ts";

describe("pool({ redis }) options", () => {
  it("refuses a handler that was not declared, naming Redis workers and the line to add", () => {
    const make = () => pool({ name: "score", redis: { queue: "unused" } }, (x: number) => x);
    expect(make).toThrow(UndeclaredHandlerError);
    try {
      make();
    } catch (error) {
      const e = error as UndeclaredHandlerError;
      expect([e.code, e.stage]).toEqual(["E_UNDECLARED_HANDLER", "score"]);
      expect(e.message).toContain('Stage "score" runs on Redis workers');
      expect(e.message).toContain('defineHandler(import.meta.url, "score"');
    }
  });

  it("refuses threads and redis together", () => {
    expect(() => pool({ threads: true, redis: {} }, picky)).toThrow(InvalidOptionError);
    expect(() => pool({ threads: true, redis: {} }, picky)).toThrow(/`threads: true` and `redis`/);
  });

  it("makes the stage without touching Redis", () => {
    const stage = pool({ workers: 3, redis: { queue: "q" } }, picky);
    expect(stage.options.redis?.queue).toBe("q");
    expect(stage.options.workers).toBe(3);
  });
});
