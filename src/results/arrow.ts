/**
 * A sweep's results for the tools data people already use: an Apache Arrow table
 * (`apache-arrow`) and a Parquet file (`parquet-wasm`, which writes that table). Both are
 * loaded on first use, so `import "pipeweave"` never loads them.
 *
 * parquet-wasm was chosen over hyparquet-writer by measurement (1M rows, see
 * bench/results.bench.ts and the commit that chose it): 2.3-3x hyparquet-writer's rows/s on a
 * sweep's table with a string coordinate (hyparquet-writer encodes each of the million strings
 * itself, about 1 s), 1.3x on numbers alone; files of the same size; DuckDB reads back every
 * value of both exactly. Its cost: a 5 MB WebAssembly module compiled on first use (about
 * 0.3 s with apache-arrow, against 0.1 s), and one type mapping less to keep: Parquet gets the
 * Arrow table's types.
 */
import type { Table as ArrowTable } from "apache-arrow";
import { DatasetError } from "../errors.ts";
import type { MapResultsMembers } from "../map/results.ts";
import { writeFileAtomicSync } from "../map/storage/file.ts";
import { Dataset } from "./dataset.ts";
import { type Column, type ColumnKind, tableOf } from "./table.ts";

/** What {@link toArrow} and {@link writeParquet} read: a dataset, or the results of `map`. */
export type DatasetSource = Dataset | MapResultsMembers;

/** Options of {@link toArrow} and {@link writeParquet}. */
export interface TableOptions {
  /**
   * The data variable (an output) whose elements are the rows.
   * @defaultValue the one with the most dims (the first of those)
   */
  readonly output?: string;
}

/**
 * The results as an Apache Arrow table in long format, one row per element of `output`: its
 * position along each dim (Int32), the coordinates along its dims, then each output whose dims
 * are all among its dims (as {@link Dataset.toRows} gives them). Numbers are Float64, strings
 * Utf8, booleans Bool, bigints Int64, dates Timestamp (milliseconds), a coordinate labelled by
 * position Int32, anything else JSON text (Utf8); a masked element is null.
 *
 * @param source - A dataset, or the results of `map` (their `dataset()`).
 * @param options - Which output gives the rows.
 * @returns The table (apache-arrow's `Table`).
 * @throws {@link DatasetError} when `output` is not an output of the dataset.
 * @example
 * ```ts
 * const table = await toArrow(results);
 * table.numRows;                  // one per element of the widest output
 * table.getChild("c")?.toArray(); // Float64Array of its values
 * ```
 */
export async function toArrow(
  source: DatasetSource,
  options: TableOptions = {},
): Promise<ArrowTable> {
  const table = tableOf(datasetOf(source), options.output);
  const arrow = await import("apache-arrow");
  const { length } = table;
  const fields = [];
  const children = [];
  for (const column of table.columns) {
    const kind = storedKind(column);
    const { type, data } = arrowData(arrow, column, kind, length);
    fields.push(new arrow.Field(column.name, type, column.role !== "dim"));
    children.push(data);
  }
  const struct = arrow.makeData({
    type: new arrow.Struct(fields),
    length,
    nullCount: 0,
    children,
  });
  return new arrow.Table([new arrow.RecordBatch(new arrow.Schema(fields), struct)]);
}

/**
 * Writes the results to a Parquet file: the table {@link toArrow} gives (positions INT32,
 * numbers DOUBLE, strings and JSON text STRING, booleans BOOLEAN, bigints INT64, dates
 * TIMESTAMP in milliseconds; a masked element null), snappy-compressed. The file is written to
 * a temporary name beside it and renamed, so a failed write leaves no partial file.
 *
 * @param source - A dataset, or the results of `map`.
 * @param file - The file to write (replaced when it exists).
 * @param options - Which output gives the rows.
 * @throws {@link DatasetError} when `output` is not an output of the dataset, or the dataset
 *   has no output and no coordinate (no column to write).
 * @example
 * ```ts
 * await writeParquet(results, "grid.parquet");
 * // duckdb: select a, b, avg(c) from 'grid.parquet' group by all
 * ```
 */
export async function writeParquet(
  source: DatasetSource,
  file: string,
  options: TableOptions = {},
): Promise<void> {
  const table = await toArrow(source, options);
  if (table.numCols === 0) {
    throw new DatasetError(
      "writeParquet",
      `writeParquet: the dataset has no data variable and no coordinate, so "${file}" would have ` +
        "no column. Write the results of a map that has outputs.",
    );
  }
  const [arrow, parquet] = await Promise.all([import("apache-arrow"), import("parquet-wasm")]);
  const properties = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setCreatedBy("pipeweave")
    .build();
  const bytes = parquet.writeParquet(
    parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream")),
    properties,
  );
  writeFileAtomicSync(file, bytes);
}

function datasetOf(source: DatasetSource): Dataset {
  if (source instanceof Dataset) return source;
  if (typeof source === "object" && source !== null && typeof source.dataset === "function") {
    return source.dataset();
  }
  throw new DatasetError(
    "toArrow",
    "Expected a Dataset or the results of map (which have dataset()), got " +
      `${source === null ? "null" : typeof source}.`,
  );
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The column's kind as written: bigints beyond int64 become text (their digits), never wrapped. */
function storedKind(column: Column): ColumnKind {
  if (column.kind !== "int64") return column.kind;
  for (const v of column.values as readonly unknown[]) {
    if (typeof v === "bigint" && (v < INT64_MIN || v > INT64_MAX)) return "json";
  }
  return "int64";
}

/** A value as JSON text (a bigint as its digits), or its `String()` when JSON has no form for it. */
function jsonText(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ??
      String(value)
    );
  } catch {
    return String(value);
  }
}

/** Each row's value as written: null where masked, JSON text for `json`. */
function plainValues(column: Column, kind: ColumnKind, length: number): unknown[] {
  const out = new Array<unknown>(length);
  for (let n = 0; n < length; n++) {
    const value = column.value(n);
    if (typeof value === "symbol") out[n] = null;
    else if (kind === "json")
      out[n] = typeof value === "bigint" ? value.toString() : jsonText(value);
    else if (kind === "timestamp") out[n] = Number.isNaN(+(value as Date)) ? null : value;
    else out[n] = value;
  }
  return out;
}

type Arrow = typeof import("apache-arrow");

/** A column as Arrow data, built from typed arrays (no per-value builder). */
function arrowData(
  arrow: Arrow,
  column: Column,
  kind: ColumnKind,
  length: number,
): { type: InstanceType<Arrow["DataType"]>; data: ReturnType<Arrow["makeData"]> } {
  const { values } = column;
  if (kind === "position") {
    const type = new arrow.Int32();
    return { type, data: arrow.makeData({ type, length, data: values as Int32Array }) };
  }
  if (kind === "float64" && values instanceof Float64Array) {
    const type = new arrow.Float64();
    return { type, data: arrow.makeData({ type, length, data: values }) };
  }
  const plain = plainValues(column, kind, length);
  const valid = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  for (let n = 0; n < length; n++) {
    if (plain[n] === null) nullCount++;
    else valid[n >> 3]! |= 1 << (n & 7);
  }
  const nulls = nullCount > 0 ? { nullCount, nullBitmap: valid } : { nullCount: 0 };
  switch (kind) {
    case "float64": {
      const type = new arrow.Float64();
      const data = Float64Array.from(plain, (v) => (v === null ? 0 : (v as number)));
      return { type, data: arrow.makeData({ type, length, data, ...nulls }) };
    }
    case "bool": {
      const type = new arrow.Bool();
      const data = new Uint8Array((length + 7) >> 3);
      for (let n = 0; n < length; n++) if (plain[n] === true) data[n >> 3]! |= 1 << (n & 7);
      return { type, data: arrow.makeData({ type, length, data, ...nulls }) };
    }
    case "int64": {
      const type = new arrow.Int64();
      const data = BigInt64Array.from(plain, (v) => (v === null ? 0n : (v as bigint)));
      return { type, data: arrow.makeData({ type, length, data, ...nulls }) };
    }
    case "timestamp": {
      const type = new arrow.TimestampMillisecond();
      const data = BigInt64Array.from(plain, (v) => (v === null ? 0n : BigInt(+(v as Date))));
      return { type, data: arrow.makeData({ type, length, data, ...nulls }) };
    }
    default: {
      // utf8 and json text: UTF-8 bytes with offsets, each distinct string encoded once.
      const type = new arrow.Utf8();
      const encoder = new TextEncoder();
      const cache = new Map<string, Uint8Array>();
      const encoded = plain.map((v) => {
        if (v === null) return undefined;
        const text = v as string;
        let bytes = cache.get(text);
        if (bytes === undefined) {
          bytes = encoder.encode(text);
          cache.set(text, bytes);
        }
        return bytes;
      });
      const valueOffsets = new Int32Array(length + 1);
      let total = 0;
      for (let n = 0; n < length; n++) {
        total += encoded[n]?.length ?? 0;
        valueOffsets[n + 1] = total;
      }
      const data = new Uint8Array(total);
      for (let n = 0; n < length; n++) {
        const bytes = encoded[n];
        if (bytes) data.set(bytes, valueOffsets[n]!);
      }
      return { type, data: arrow.makeData({ type, length, data, valueOffsets, ...nulls }) };
    }
  }
}
