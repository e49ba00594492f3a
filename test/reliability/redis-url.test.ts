import { describe, expect, it } from "vitest";
import { InvalidOptionError, Pipeline } from "../../src/index.ts";
import { redis, runWorker } from "../../src/redis/index.ts";
import { cli } from "../cli/cli.ts";

describe("a Redis address that is not one", () => {
  it("pipeweave worker --redis: a usage error naming --redis, the value (without password) and the form expected, exit 2", async () => {
    for (const [url, shown, problem] of [
      ["not a url", "not a url", /it does not parse as a URL/],
      ["http://user:hunter2@10.0.0.5:6379", "http://10.0.0.5:6379/", /its scheme is http:\/\//],
    ] as const) {
      const result = await cli(["worker", "pipelines.ts#arith", "--redis", url]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        `error: Expected --redis to be a Redis URL such as redis://host:port (rediss:// for TLS, or a Unix socket path), got "${shown}"`,
      );
      expect(result.stderr).toMatch(problem);
      expect(result.stderr).toMatch(/Usage: pipeweave worker/);
      expect(result.stderr).not.toMatch(/hunter2|user/);
      expect(result.stdout).toBe("");
    }
  });

  it.each([
    ["redis()", (): unknown => redis({ connection: "not a url" })],
    ["runWorker()", (): unknown => runWorker(new Pipeline([]), { connection: "not a url" })],
  ])("%s: an InvalidOptionError naming connection", async (_, start) => {
    const error = await Promise.resolve()
      .then(start)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe("E_INVALID_OPTION");
    expect((error as InvalidOptionError).option).toBe("connection");
    expect((error as InvalidOptionError).message).toMatch(
      /Expected `connection` to be a Redis URL such as redis:\/\/host:port .*got "not a url"/,
    );
  });

  it("names REDIS_URL when the default connection comes from it", () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = "redis://a b";
    try {
      expect(() => redis()).toThrow(
        /Expected REDIS_URL \(the default `connection`\) to be a Redis URL/,
      );
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });

  it.each([
    "redis://127.0.0.1:6379/0",
    "rediss://u:p@host:6380",
    "localhost:6379",
    "6379",
    "/tmp/redis.sock",
  ])("accepts %s", (url) => {
    expect(() => redis({ connection: url })).not.toThrow();
  });
});
