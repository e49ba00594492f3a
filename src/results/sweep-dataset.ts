import { setOwn } from "../_internal/own.ts";
import { NdArray } from "../map/ndarray.ts";
import { type Coordinate, coordinateOf, positionCoordinate } from "./coordinates.ts";
import { Dataset } from "./dataset.ts";

/**
 * The dataset of a sweep, as `results.dataset()` and `loadDataset` build it: each output a data
 * variable (a single value as a 0-D array); each mapped input along one axis a coordinate of
 * that axis (zipped inputs give one axis several); an input mapped along several axes
 * (`a[i, j]`) a data variable, since it labels no single axis; an axis no input labels
 * (generated, internal) the coordinate 0..n-1 under its own name. An input whose axis no
 * output has is left out.
 *
 * @param outputs - Each output's value: an NdArray for a mapped output, else the value.
 * @param inputs - Each mapped input as an NdArray along the axes its mapspecs give it.
 * @throws {@link DatasetError} when an input's length differs from its axis's in the outputs.
 */
export function sweepDataset(
  outputs: Iterable<readonly [string, unknown]>,
  inputs: Iterable<readonly [string, NdArray<unknown>]>,
): Dataset {
  const dataVars: Record<string, NdArray<unknown>> = {};
  const lengths = new Map<string, number>();
  const add = (name: string, array: NdArray<unknown>) => {
    setOwn(dataVars, name, array);
    array.dims.forEach((d, k) => {
      if (!lengths.has(d)) lengths.set(d, array.shape[k]!);
    });
  };
  for (const [name, value] of outputs) {
    add(name, value instanceof NdArray ? value : new NdArray([], [], [value]));
  }
  const axes: [string, NdArray<unknown>][] = [];
  for (const [name, array] of inputs) {
    if (Object.hasOwn(dataVars, name)) continue;
    if (array.ndim === 1) axes.push([name, array]);
    else if (array.ndim > 1 && array.dims.every((d) => lengths.has(d))) add(name, array);
  }
  const coords: Record<string, Coordinate> = {};
  const labelled = new Set<string>();
  for (const [name, array] of axes) {
    const dim = array.dims[0]!;
    if (!lengths.has(dim)) continue;
    setOwn(coords, name, coordinateOf(dim, [...array]));
    labelled.add(dim);
  }
  for (const [dim, length] of lengths) {
    if (labelled.has(dim) || Object.hasOwn(coords, dim) || Object.hasOwn(dataVars, dim)) continue;
    setOwn(coords, dim, positionCoordinate(dim, length));
  }
  return new Dataset({ dataVars, coords });
}
