/**
 * The coordinates of a zarr run folder, written as xarray reads a Zarr v3 group: `outputs/` is
 * the group (`outputs/zarr.json`), each output's array already carries its axes as
 * `dimension_names`, and each mapped input along one axis of a zarr output is a 1-D array
 * beside them, `outputs/<input>/`, named by the input, whose `dimension_names` is that axis.
 * The group's `coordinates` attribute lists those arrays, which xarray's CF decoding makes
 * coordinates of the Dataset (the attribute xarray itself writes for coordinates no single
 * variable names), so
 *
 *     xarray.open_zarr("runs/demo/outputs", consolidated=False)
 *
 * gives dims `i`, `j`, coordinates `a (i)`, `b (j)` and data variables `c (i, j)`.
 * (`consolidated=False`: pipeweave writes no consolidated metadata, so xarray lists the
 * folder; single-value outputs, stored as files, are no zarr arrays and zarr-python warns that
 * their folders are not part of the hierarchy.)
 *
 * Kinds of values: numbers as float64, booleans as bool, bigints as int64, strings as zarr's
 * variable-length `string` (codec `vlen-utf8`), dates as int64 milliseconds with CF `units`
 * (xarray decodes them to datetime64); an input of other values as its positions (int64).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { outputFolder } from "../map/run-folder-files.ts";
import { writeFileAtomicSync } from "../map/storage/file.ts";
import { coordinateOf } from "./coordinates.ts";

/** The group's metadata file, in `outputs/`. */
export const GROUP_FILE = "zarr.json";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** numpy's NaT (not a time): what an invalid Date is written as. */
const NOT_A_TIME = INT64_MIN;

/**
 * Writes `outputs/zarr.json` (a group listing the coordinates) and one array per coordinate
 * (see the module). Each file is written to a temporary name and renamed.
 *
 * @param runFolder - The run folder.
 * @param coordinates - Each mapped input to write, by name: its axis and values.
 */
export function writeZarrCoordinates(
  runFolder: string,
  coordinates: ReadonlyMap<string, { readonly dim: string; readonly values: ArrayLike<unknown> }>,
): void {
  const outputs = join(runFolder, "outputs");
  mkdirSync(outputs, { recursive: true });
  for (const [name, { dim, values }] of coordinates) {
    writeArray(outputFolder(runFolder, name), dim, values);
  }
  const attributes = coordinates.size > 0 ? { coordinates: [...coordinates.keys()].join(" ") } : {};
  writeJson(join(outputs, GROUP_FILE), { zarr_format: 3, node_type: "group", attributes });
}

/** One coordinate as a 1-D Zarr v3 array of one chunk in `folder`. */
function writeArray(folder: string, dim: string, values: ArrayLike<unknown>): void {
  const coordinate = coordinateOf(dim, values);
  const { kind } = coordinate;
  // Bigints beyond int64 are written as their digits: never as other numbers.
  const labels =
    kind === "bigint" &&
    !(coordinate.values as bigint[]).every((b) => b >= INT64_MIN && b <= INT64_MAX)
      ? coordinate.values.map(String)
      : coordinate.values;
  const length = labels.length;
  let dataType: string;
  let fill: unknown = 0;
  let attributes: Record<string, unknown> = {};
  let codecs: unknown[] = [{ name: "bytes", configuration: { endian: "little" } }];
  let bytes: Uint8Array;
  if (kind === "number") {
    dataType = "float64";
    fill = "NaN";
    bytes = littleEndian(Float64Array.from(labels as number[]));
  } else if (kind === "boolean") {
    dataType = "bool";
    fill = false;
    bytes = Uint8Array.from(labels as boolean[], (b) => (b ? 1 : 0));
  } else if (kind === "string" || typeof labels[0] === "string") {
    dataType = "string";
    fill = "";
    codecs = [{ name: "vlen-utf8", configuration: {} }];
    bytes = vlenUtf8(labels as string[]);
  } else {
    // int64: bigints, dates in milliseconds, or positions (labels of inputs of other values).
    dataType = "int64";
    const big = new BigInt64Array(length);
    for (let k = 0; k < length; k++) {
      const label = labels[k];
      if (kind === "date") {
        const ms = +(label as Date);
        big[k] = Number.isNaN(ms) ? NOT_A_TIME : BigInt(ms);
      } else big[k] = BigInt(label as bigint | number);
    }
    if (kind === "date") {
      attributes = {
        units: "milliseconds since 1970-01-01T00:00:00",
        calendar: "proleptic_gregorian",
      };
    }
    bytes = littleEndian(big);
  }
  const metadata = {
    zarr_format: 3,
    node_type: "array",
    shape: [length],
    data_type: dataType,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [Math.max(1, length)] } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    codecs,
    fill_value: fill,
    dimension_names: [dim],
    attributes,
  };
  mkdirSync(join(folder, "c"), { recursive: true });
  writeJson(join(folder, "zarr.json"), metadata);
  // An empty axis has no chunk: every element of it would be the fill value.
  if (length > 0) writeFileAtomicSync(join(folder, "c", "0"), bytes);
}

function writeJson(path: string, value: unknown): void {
  writeFileAtomicSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** A typed array's bytes, little endian (as Zarr's `bytes` codec is configured). */
function littleEndian(array: Float64Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(array.byteLength);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < array.length; k++) {
    if (array instanceof Float64Array) view.setFloat64(k * 8, array[k]!, true);
    else view.setBigInt64(k * 8, array[k]!, true);
  }
  return bytes;
}

/** numcodecs' VLenUTF8: the count, then each string's byte length and bytes (u32 little endian). */
function vlenUtf8(strings: readonly string[]): Uint8Array {
  const encoder = new TextEncoder();
  const encoded = strings.map((s) => encoder.encode(s));
  const total = 4 + encoded.reduce((sum, e) => sum + 4 + e.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, strings.length, true);
  let at = 4;
  for (const e of encoded) {
    view.setUint32(at, e.length, true);
    bytes.set(e, at + 4);
    at += 4 + e.length;
  }
  return bytes;
}
