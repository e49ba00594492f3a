import type { AnyPipeFunc } from "../graph/types.ts";
import { sweepLayout } from "./layout.ts";
import { addAxisToInput, formatMapSpec, type MapSpec, parseMapSpec } from "./mapspec.ts";

/**
 * pipefunc's `add_mapspec_axis`: maps input `name` along a new `axis` in every function that
 * reads it, and carries the axis through everything downstream. `"x[i] -> y[i]"` becomes
 * `"x[i], z[k] -> y[i, k]"`; a function reading `y` whole becomes `"y[:, k] -> sum[k]"`.
 *
 * @returns The functions, with changed mapspecs where the axis reaches.
 */
export function addMapspecAxis(
  key: object,
  functions: readonly AnyPipeFunc[],
  name: string,
  axis: string,
): AnyPipeFunc[] {
  const layout = sweepLayout(key, functions);
  // Generators the layout made for functions without a mapspec stay without one.
  const specs = new Map<AnyPipeFunc, MapSpec | undefined>(
    layout.nodes.map((n) => [n.func, n.func.mapspec === undefined ? undefined : n.spec]),
  );
  const extended = new Set<string>();
  const queue = [name];
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (extended.has(current)) continue;
    extended.add(current);
    for (const node of layout.nodes) {
      const f = node.func;
      if (!f.inputs.includes(current)) continue;
      const spec = specs.get(f);
      // Axes `current` already has: a function reading it whole keeps taking them whole.
      const dims = layout.dims.get(current) ?? [];
      let next: MapSpec;
      if (spec) next = addAxisToInput(spec, current, axis, f.name, dims.length);
      else {
        // A function taking `current` whole: it now maps along `axis` and keeps reducing the
        // axes it had.
        const inputs = `${current}[${[...dims.map(() => ":"), axis].join(", ")}]`;
        const outputs = f.outputs.map((o) => `${o}[${axis}]`).join(", ");
        next = parseMapSpec(`${inputs} -> ${outputs}`, f.name);
      }
      specs.set(f, next);
      for (const o of f.outputs) queue.push(o);
    }
  }
  return functions.map((f) => {
    const spec = specs.get(f);
    const text = spec ? formatMapSpec(spec) : undefined;
    return text === f.mapspec || text === undefined
      ? f
      : (f.with({ mapspec: text }) as AnyPipeFunc);
  });
}
