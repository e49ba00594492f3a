/**
 * `pipeweave load <run-folder> <output> --format json|csv|parquet [--out FILE]`: the output
 * as a table with its coordinates (CSV, Parquet read back by DuckDB), and the flags that do
 * not go together refused with exit 2 naming them.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";
import { cli, cliInProcess, show } from "./cli.ts";

const scratch = mkdtempSync(join(tmpdir(), "pipeweave-cli-load-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const runFolder = join(scratch, "run");

beforeAll(async () => {
  const label = pipefunc(
    { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
    ({ a, b }: { a: number; b: string }) => {
      if (a === 2 && b === "y,z") throw new Error("fails on purpose");
      return `${b}"${a}`;
    },
  );
  const count = pipefunc({ output: "n", mapspec: "a[i] -> n[i]" }, ({ a }: { a: number }) => a * 2);
  await new Pipeline([label, count]).map(
    { a: [1, 2], b: ["x", "y,z"] },
    { runFolder, errors: "continue", progress: false },
  );
});

describe("pipeweave load --format", () => {
  it("csv prints one row per element with positions, coordinates and outputs along its dims", async () => {
    const result = await cli(["load", runFolder, "c", "--format", "csv"]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toBe(
      [
        "i,j,a,b,c,n",
        '0,0,1,x,"x""1",2',
        '0,1,1,"y,z","y,z""1",2',
        '1,0,2,x,"x""2",4',
        '1,1,2,"y,z",,4',
        "",
      ].join("\r\n"),
    );
  });

  it("parquet --out writes the same table, read back by DuckDB; json --out writes the value", async () => {
    const file = join(scratch, "n.parquet");
    const result = await cli(["load", runFolder, "n", "--format", "parquet", "--out", file]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toBe("");
    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    const reader = await connection.runAndReadAll(`select * from read_parquet('${file}')`);
    expect(reader.getRowObjectsJS()).toEqual([
      { i: 0, a: 1, n: 2 },
      { i: 1, a: 2, n: 4 },
    ]);
    connection.closeSync();
    db.closeSync();
    const json = join(scratch, "n.json");
    const written = await cli(["load", runFolder, "n", "--out", json]);
    expect(written.code, show(written)).toBe(0);
    expect(JSON.parse(readFileSync(json, "utf8"))).toEqual({
      shape: [2],
      dims: ["i"],
      data: [2, 4],
    });
  });

  it("names an output the run does not have, exit 1", async () => {
    const result = await cli(["load", runFolder, "m", "--format", "csv"]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/has no output "m"/);
  });

  it.each([
    [
      ["--format", "xml"],
      /option '--format <format>' argument 'xml' is invalid\. Allowed choices are json, csv, parquet/,
    ],
    [["--format", "parquet"], /--format parquet writes a binary file: pass --out <file>/],
    [
      ["--format", "csv", "--index", "0"],
      /--index picks one element as JSON; it does not go with --format csv/,
    ],
  ])("refuses %j with exit 2, naming the flag", async (flags, message) => {
    const result = await cliInProcess(["load", runFolder, "c", ...flags]);
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("Usage: pipeweave load");
  });
});
