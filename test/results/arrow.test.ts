/**
 * `toArrow` and `writeParquet`: one row per element with positions, coordinates and outputs,
 * each kind of value in its Arrow / Parquet type, masked elements null. The Parquet files are
 * read back by an independent reader, DuckDB.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Dataset,
  DatasetError,
  isMissing,
  loadDataset,
  type NdArray,
  Pipeline,
  pipefunc,
  toArrow,
  writeParquet,
} from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";

const scratch = tempFolders("pipeweave-arrow-");
const quiet = { progress: false } as const;

const add = pipefunc(
  { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
  ({ a, b }: { a: number; b: string }) => a * 100 + b.length + 0.25,
);
const rowSum = pipefunc(
  { output: "rowSum", mapspec: "c[i, :] -> rowSum[i]" },
  ({ c }: { c: NdArray<number> }) => c.values().reduce((s, v) => s + v, 0),
);
const total = pipefunc({ output: "total" }, ({ rowSum }: { rowSum: NdArray<number> }) =>
  rowSum.values().reduce((s, v) => s + v, 0),
);
const grid = new Pipeline([add, rowSum, total]);
const gridInputs = {
  a: Array.from({ length: 30 }, (_, k) => k / 3),
  b: Array.from({ length: 20 }, (_, k) => "é".repeat(k)),
};

/** Every value of a sweep's outputs, of each kind Parquet and Arrow are given. */
const kinds = pipefunc(
  { output: "v", mapspec: "x[i], day[i] -> v[i]" },
  ({ x, day }: { x: number; day: Date }) => {
    if (x === 2) throw new Error("fails on purpose");
    return { x, day: day.getUTCDate() };
  },
);
const flags = pipefunc(
  { output: "flag", mapspec: "x[i] -> flag[i]" },
  ({ x }: { x: number }) => x > 1,
);
const bigs = pipefunc(
  { output: "big", mapspec: "x[i] -> big[i]" },
  ({ x }: { x: number }) => BigInt(x) - 2n,
);
const huge = pipefunc(
  { output: "huge", mapspec: "x[i] -> huge[i]" },
  ({ x }: { x: number }) => 10n ** 20n * BigInt(x),
);
const when = pipefunc(
  { output: "when", mapspec: "day[i] -> when[i]" },
  ({ day }: { day: Date }) => new Date(+day + 1000),
);
const kindsInputs = {
  x: [1, 2, 3],
  day: [0, 1, 2].map((d) => new Date(Date.UTC(2024, 0, 1 + d))),
};

let db: DuckDBInstance;
beforeAll(async () => {
  db = await DuckDBInstance.create(":memory:");
});
afterAll(() => db.closeSync());

/** A Parquet file as DuckDB reads it: column names, types, and rows as JS values. */
async function duck(file: string) {
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(
      `select * from read_parquet('${file.replaceAll("'", "''")}')`,
    );
    return {
      names: reader.columnNames(),
      types: reader.columnTypes().map(String),
      rows: reader.getRowObjectsJS(),
    };
  } finally {
    connection.closeSync();
  }
}

/** The dataset's rows as a Parquet reader gives them back: MISSING null. */
function expectedRows(ds: Dataset) {
  return ds
    .toRows()
    .map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, isMissing(v) ? null : v])),
    );
}

describe("toArrow", () => {
  it("gives one row per element: positions, coordinates, then the outputs along those dims", async () => {
    const results = await grid.map(gridInputs, quiet);
    const table = await toArrow(results);
    // apache-arrow's own class, as the caller's import of it sees it.
    expect(table).toBeInstanceOf(Table);
    expect(table.numRows).toBe(600);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual([
      "i:Int32:false",
      "j:Int32:false",
      "a:Float64:true",
      "b:Utf8:true",
      "c:Float64:true",
      "rowSum:Float64:true",
    ]);
    expect(table.toArray().map((row) => row.toJSON())).toEqual(results.dataset().toRows());
    // The rows of another output, and of a dataset after a selection (its scalar coordinate kept).
    const rows = await toArrow(results, { output: "rowSum" });
    expect(rows.schema.fields.map((f) => f.name)).toEqual(["i", "a", "rowSum"]);
    const picked = await toArrow(results.dataset().sel({ b: "éé" }));
    expect(picked.schema.fields.map((f) => f.name)).toEqual(["i", "a", "b", "c", "rowSum"]);
    expect(picked.getChild("b")?.toArray()).toEqual(Array(30).fill("éé"));
  });

  it("types each kind of value and makes a masked element null", async () => {
    const results = await new Pipeline([kinds, flags, bigs, huge, when]).map(kindsInputs, {
      ...quiet,
      errors: "continue",
    });
    const table = await toArrow(results, { output: "v" });
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      "i:Int32",
      "x:Float64",
      "day:Timestamp<MILLISECOND>",
      "v:Utf8",
      "flag:Bool",
      "big:Int64",
      "huge:Utf8",
      "when:Timestamp<MILLISECOND>",
    ]);
    const column = (name: string) => [...(table.getChild(name) ?? [])];
    expect(column("v")).toEqual(['{"x":1,"day":1}', null, '{"x":3,"day":3}']);
    expect(column("flag")).toEqual([false, true, true]);
    expect(column("big")).toEqual([-1n, 0n, 1n]);
    // Beyond int64: the digits, never a wrapped number.
    expect(column("huge")).toEqual([
      "100000000000000000000",
      "200000000000000000000",
      "300000000000000000000",
    ]);
    expect(column("day")).toEqual(kindsInputs.day.map((d) => +d));
    expect(column("when")).toEqual(kindsInputs.day.map((d) => +d + 1000));
  });

  it("refuses an output the dataset does not have", async () => {
    const results = await grid.map(gridInputs, quiet);
    const error = await toArrow(results, { output: "rowsum" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ code: "E_DATASET", subject: "rowsum" });
    expect((error as Error).message).toContain('Did you mean "rowSum"?');
  });
});

describe("writeParquet, read back by DuckDB", () => {
  it("writes every row, column and value of a run's results", async () => {
    const runFolder = join(scratch(), "run");
    const results = await grid.map(gridInputs, { ...quiet, runFolder });
    const file = join(scratch(), "grid.parquet");
    await writeParquet(results, file);
    const read = await duck(file);
    expect(read.names).toEqual(["i", "j", "a", "b", "c", "rowSum"]);
    expect(read.types).toEqual(["INTEGER", "INTEGER", "DOUBLE", "VARCHAR", "DOUBLE", "DOUBLE"]);
    expect(read.rows).toHaveLength(600);
    expect(read.rows).toEqual(expectedRows(results.dataset()));
    // The same from the run folder, in a process that has only the folder.
    const again = join(scratch(), "again.parquet");
    await writeParquet(await loadDataset({ runFolder }), again);
    expect((await duck(again)).rows).toEqual(read.rows);
  });

  it("writes each kind of value in its Parquet type, a masked element as null", async () => {
    const results = await new Pipeline([kinds, flags, bigs, huge, when]).map(kindsInputs, {
      ...quiet,
      errors: "continue",
    });
    const file = join(scratch(), "kinds.parquet");
    await writeParquet(results, file, { output: "v" });
    const read = await duck(file);
    expect(read.names).toEqual(["i", "x", "day", "v", "flag", "big", "huge", "when"]);
    expect(read.types).toEqual([
      "INTEGER",
      "DOUBLE",
      "TIMESTAMP",
      "VARCHAR",
      "BOOLEAN",
      "BIGINT",
      "VARCHAR",
      "TIMESTAMP",
    ]);
    expect(read.rows).toEqual([
      {
        i: 0,
        x: 1,
        day: kindsInputs.day[0],
        v: '{"x":1,"day":1}',
        flag: false,
        big: -1n,
        huge: "100000000000000000000",
        when: new Date(+kindsInputs.day[0]! + 1000),
      },
      {
        i: 1,
        x: 2,
        day: kindsInputs.day[1],
        v: null,
        flag: true,
        big: 0n,
        huge: "200000000000000000000",
        when: new Date(+kindsInputs.day[1]! + 1000),
      },
      {
        i: 2,
        x: 3,
        day: kindsInputs.day[2],
        v: '{"x":3,"day":3}',
        flag: true,
        big: 1n,
        huge: "300000000000000000000",
        when: new Date(+kindsInputs.day[2]! + 1000),
      },
    ]);
  });

  it("writes numbers with holes as nulls, NaN as NaN, and replaces the file atomically", async () => {
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
      if (x === 1) throw new Error("fails on purpose");
      return x === 2 ? Number.NaN : x / 2;
    });
    const results = await new Pipeline([f]).map(
      { x: [0, 1, 2, 3] },
      { ...quiet, errors: "continue" },
    );
    const dir = scratch();
    const file = join(dir, "y.parquet");
    await writeParquet(results, file);
    await writeParquet(results, file);
    const { rows } = await duck(file);
    expect(rows.map((r) => r.y)).toEqual([0, null, Number.NaN, 1.5]);
    expect(readdirSync(dir)).toEqual(["y.parquet"]);
  });

  it("refuses a dataset without columns and leaves no file", async () => {
    const { Dataset } = await import("../../src/index.ts");
    const file = join(scratch(), "empty.parquet");
    const error = await writeParquet(new Dataset({ dataVars: {} }), file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toContain("has no data variable and no coordinate");
    expect(existsSync(file)).toBe(false);
  });
});
