import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { tempFolders } from "../temp-folders.ts";

const scratch = tempFolders("pipeweave-lazy-arrow-");
const fixture = join(import.meta.dirname, "fixtures", "without-arrow.ts");

it("loads apache-arrow and the Parquet writer only in toArrow and writeParquet", async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", fixture, scratch()],
    { timeout: 30_000 },
  );
  const out = JSON.parse(stdout);
  expect(out.rows).toEqual({
    ok: true,
    value: [
      { i: 0, a: 1, c: 2 },
      { i: 1, a: 2, c: 3 },
    ],
  });
  expect(out.arrow).toMatchObject({ ok: false });
  expect(out.arrow.message).toContain("Cannot find package 'apache-arrow'");
  expect(out.parquet).toMatchObject({ ok: false });
  expect(out.parquet.message).toMatch(/Cannot find package '(apache-arrow|parquet-wasm)'/);
}, 30_000);
