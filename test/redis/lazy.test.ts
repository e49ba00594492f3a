import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const fixture = join(import.meta.dirname, "fixtures", "without-ioredis.ts");

/** Runs the fixture in a child node, with ioredis made unloadable at `mode`. */
async function withoutIoredis(mode: "resolve" | "load") {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", fixture, mode],
    { timeout: 30_000 },
  );
  return JSON.parse(stdout);
}

const missingIoredis = {
  ok: false,
  name: "MissingDependencyError",
  code: "E_MISSING_DEPENDENCY",
  dependency: "ioredis",
};

describe("redis: loaded only when used", () => {
  it("imports and runs the core without ioredis; a redis cache fails when made, naming ioredis and how to install it", async () => {
    const out = await withoutIoredis("resolve");
    expect(out.plain).toEqual({ ok: true, value: 4 });
    expect(out.construct).toMatchObject(missingIoredis);
    expect(out.construct.message).toMatch(/redis cache needs .*"ioredis".*npm install ioredis/);
  }, 30_000);

  it("a redis cache whose ioredis cannot be loaded fails its first run or map with the same error, and closes", async () => {
    const out = await withoutIoredis("load");
    expect(out.plain).toEqual({ ok: true, value: 4 });
    expect(out.construct).toEqual({ ok: true, value: "constructed" });
    expect(out.run).toMatchObject(missingIoredis);
    expect(out.run.message).toMatch(/npm install ioredis/);
    expect(out.map).toMatchObject(missingIoredis);
    expect(out.close).toMatchObject({ ok: true });
  }, 30_000);
});
