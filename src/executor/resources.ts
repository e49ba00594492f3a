/**
 * What a function needs to run, as pipefunc's `Resources`: cpus, memory, gpus, wall time, a
 * SLURM partition and other `sbatch` flags. Functions declare it (`pipefunc({ resources })`,
 * a pipeline's `resources` as defaults); executors honour what they can: threads count
 * `cpus` as slots, Redis workers take chunks that fit their `--cpus`/`--memory`, SLURM maps
 * everything to `sbatch` options.
 */
import { InvalidOptionError } from "../errors.ts";

/** What a function needs, as written by the user. */
export interface Resources {
  /** CPU cores per element (a thread slot each on threads; `--cpus-per-task` on SLURM). */
  readonly cpus?: number;
  /** Memory: `"4GB"`, `"500MB"`, `"1.5G"`, or a number of megabytes. */
  readonly memory?: string | number;
  /** GPUs (`--gpus` on SLURM). */
  readonly gpus?: number;
  /** Wall time: `"1:30:00"`, `"30:00"`, `"2-12:00:00"` (days-hours), or a number of minutes. */
  readonly time?: string | number;
  /** SLURM partition. */
  readonly partition?: string;
  /** Other `sbatch` flags, passed as they are: `["--exclusive", "--constraint=avx2"]`. */
  readonly extra?: readonly string[];
}

/**
 * A function's resources: fixed, or computed from its arguments (evaluated once per map of
 * the function, or per element, as `resourcesScope` says).
 */
export type ResourcesOption<A = Readonly<Record<string, unknown>>> =
  | Resources
  | ((args: A) => Resources);

/** Whether a `resources` function is evaluated once per map or for every element. */
export type ResourcesScope = "map" | "element";

/** Resources in one unit each, checked. */
export interface ResolvedResources {
  readonly cpus: number | undefined;
  readonly memoryMb: number | undefined;
  readonly gpus: number | undefined;
  readonly timeMinutes: number | undefined;
  readonly partition: string | undefined;
  readonly extra: readonly string[];
}

const KEYS = new Set(["cpus", "memory", "gpus", "time", "partition", "extra"]);

/** Megabytes per unit, by its first letter: `"4G"`, `"4GB"` and `"4GiB"` are 4096 MB, as in SLURM. */
const UNITS: Readonly<Record<string, number>> = {
  k: 1 / 1024,
  m: 1,
  g: 1024,
  t: 1024 * 1024,
};

/**
 * Checks and normalises resources.
 *
 * @param resources - As written.
 * @param where - Whose they are, for messages: `function "fit"`, `the pipeline`.
 * @throws {@link InvalidOptionError} naming `where`, the key and what to write instead.
 */
export function resolveResources(resources: Resources, where: string): ResolvedResources {
  if (typeof resources !== "object" || resources === null || Array.isArray(resources)) {
    throw new InvalidOptionError(
      "resources",
      `The resources of ${where} are ${describe(resources)}; expected an object such as ` +
        '{ cpus: 2, memory: "4GB", time: "1:00:00" }, or a function of the inputs returning one.',
    );
  }
  // A promise has no keys of its own: read as resources it would silently ask for nothing.
  if (typeof (resources as { then?: unknown }).then === "function") {
    throw new InvalidOptionError(
      "resources",
      `The resources of ${where} are a promise; a resources function must return them ` +
        "synchronously (it is called where elements are dispatched), without async or await.",
    );
  }
  for (const key of Object.keys(resources)) {
    if (!KEYS.has(key)) {
      throw new InvalidOptionError(
        `resources.${key}`,
        `The resources of ${where} have an unknown key "${key}"; the keys are cpus, memory, ` +
          "gpus, time, partition and extra (other sbatch flags go in extra).",
      );
    }
  }
  const count = (key: "cpus" | "gpus", min: number): number | undefined => {
    const v = resources[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new InvalidOptionError(
        `resources.${key}`,
        `The resources of ${where} have ${key} ${describe(v)}; expected an integer from ${min} up.`,
      );
    }
    return v;
  };
  const partition = resources.partition;
  if (partition !== undefined && (typeof partition !== "string" || partition.trim() === "")) {
    throw new InvalidOptionError(
      "resources.partition",
      `The resources of ${where} have partition ${describe(partition)}; expected a partition's name.`,
    );
  }
  const extra = resources.extra ?? [];
  if (!Array.isArray(extra) || extra.some((e) => typeof e !== "string" || !e.startsWith("-"))) {
    throw new InvalidOptionError(
      "resources.extra",
      `The resources of ${where} have extra ${describe(extra)}; expected an array of sbatch ` +
        'flags, such as ["--exclusive", "--constraint=avx2"].',
    );
  }
  return {
    cpus: count("cpus", 1),
    memoryMb: memoryMb(resources.memory, where),
    gpus: count("gpus", 0),
    timeMinutes: timeMinutes(resources.time, where),
    partition,
    extra,
  };
}

/** Memory in megabytes (rounded up), as {@link memoryInMb} reads it, checked. */
function memoryMb(value: string | number | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  const mb = memoryInMb(value);
  if (mb === undefined) {
    throw new InvalidOptionError(
      "resources.memory",
      `The resources of ${where} have memory ${describe(value)}; expected an amount such as ` +
        '"4GB", "500MB" or "1.5G", or a number of megabytes.',
    );
  }
  return mb;
}

/**
 * Megabytes (rounded up) in a memory amount: `"4GB"`, `"4GiB"`, `"4G"` (all 4096), `"500MB"`,
 * `"1.5g"`, or a number of MB (a bare number in a string is MB too, as in SLURM).
 *
 * @returns The megabytes, or undefined when `value` is not a positive amount.
 */
export function memoryInMb(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
  }
  const found =
    typeof value === "string"
      ? /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?)?\s*$/i.exec(value)
      : null;
  if (!found) return undefined;
  const amount = Number(found[1]) * (UNITS[(found[2] ?? "m").toLowerCase()] ?? 1);
  return amount > 0 ? Math.ceil(amount) : undefined;
}

/**
 * Wall time in minutes (rounded up), in SLURM's forms: `"MM"`, `"MM:SS"`, `"HH:MM:SS"`,
 * `"D-HH"`, `"D-HH:MM"`, `"D-HH:MM:SS"`, or a number of minutes.
 */
function timeMinutes(value: string | number | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return Math.ceil(value);
  const minutes = typeof value === "string" ? slurmMinutes(value.trim()) : undefined;
  if (minutes === undefined || !(minutes > 0)) {
    throw new InvalidOptionError(
      "resources.time",
      `The resources of ${where} have time ${describe(value)}; expected a wall time such as ` +
        '"1:30:00", "45:00", "2-12:00:00", or a number of minutes.',
    );
  }
  return Math.ceil(minutes);
}

function slurmMinutes(text: string): number | undefined {
  const found = /^(?:(\d+)-)?(\d+(?::\d+){0,2})$/.exec(text);
  if (!found) return undefined;
  const parts = found[2]!.split(":").map(Number);
  if (found[1] !== undefined) {
    // After "D-", the parts are hours[:minutes[:seconds]].
    const [h = 0, m = 0, sec = 0] = parts;
    return Number(found[1]) * 1440 + h * 60 + m + sec / 60;
  }
  if (parts.length === 3) return parts[0]! * 60 + parts[1]! + parts[2]! / 60;
  if (parts.length === 2) return parts[0]! + parts[1]! / 60;
  return parts[0];
}

/**
 * Pipeline defaults overlaid by a function's own resources, key by key (pipefunc's rule: the
 * function's value wins, `extra` flags are joined).
 */
export function mergeResources(
  defaults: ResolvedResources | undefined,
  own: ResolvedResources | undefined,
): ResolvedResources | undefined {
  if (!defaults) return own;
  if (!own) return defaults;
  return {
    cpus: own.cpus ?? defaults.cpus,
    memoryMb: own.memoryMb ?? defaults.memoryMb,
    gpus: own.gpus ?? defaults.gpus,
    timeMinutes: own.timeMinutes ?? defaults.timeMinutes,
    partition: own.partition ?? defaults.partition,
    extra: [...defaults.extra, ...own.extra],
  };
}

/**
 * The resources `option` gives for one call (or the whole map) of a function.
 *
 * @param option - The function's `resources` (or the pipeline's), fixed or a function.
 * @param args - The arguments, by argument name, when `option` is a function.
 * @param where - Whose they are, for messages.
 * @throws {@link InvalidOptionError} when the resources (or what the function returns) are bad.
 */
export function evaluateResources(
  option: ResourcesOption | undefined,
  args: Readonly<Record<string, unknown>>,
  where: string,
): ResolvedResources | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== "function") return resolveFixed(option, where);
  let returned: Resources;
  try {
    returned = option(args);
  } catch (error) {
    // A nested function's parts name themselves.
    if (error instanceof InvalidOptionError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidOptionError(
      "resources",
      `The resources function of ${where} threw: ${reason}. It is called with the ` +
        'function\'s arguments by name (for resourcesScope "map" only those that are not ' +
        "mapped); make it return resources for every call.",
      { cause: error },
    );
  }
  return resolveResources(returned, `${where} (what its resources function returned)`);
}

/** Fixed resources already checked, so an element never checks them again. */
const resolved = new WeakMap<Resources, ResolvedResources>();

/** {@link resolveResources} of fixed resources, once per object. */
function resolveFixed(resources: Resources, where: string): ResolvedResources {
  let r = typeof resources === "object" && resources !== null ? resolved.get(resources) : undefined;
  if (!r) {
    r = resolveResources(resources, where);
    resolved.set(resources, r);
  }
  return r;
}

/**
 * Checks a function's `resources` option when the function is made: fixed resources are
 * resolved (so bad ones fail at once); a function is checked each time it is evaluated.
 *
 * @throws {@link InvalidOptionError} naming `where` and the key.
 */
export function checkResourcesOption(option: unknown, where: string): void {
  if (option === undefined || typeof option === "function") return;
  resolveFixed(option as Resources, where);
}

/**
 * Checks a `resourcesScope` option.
 *
 * @returns The scope, `"map"` when not given.
 * @throws {@link InvalidOptionError} for another value.
 */
export function checkResourcesScope(scope: unknown, where: string): ResourcesScope {
  if (scope === undefined) return "map";
  if (scope === "map" || scope === "element") return scope;
  throw new InvalidOptionError(
    "resourcesScope",
    `The resourcesScope of ${where} is ${describe(scope)}; expected "map" (evaluate a resources ` +
      'function once per map of the function) or "element" (once per element).',
  );
}

/** What {@link resourcesFor} reads of a function. */
export interface ResourcesOwner {
  readonly name: string;
  readonly resources: ResourcesOption | undefined;
}

/**
 * What one call (or one map) of `f` needs: the pipeline's defaults overlaid by the function's
 * own resources, evaluated with `args` when they are a function. What executors put on a
 * chunk (`Chunk.resources`); `map` calls it with the map's unmapped arguments for
 * `resourcesScope: "map"` and with each element's arguments for `"element"`.
 *
 * @param f - The function (its `name` and `resources`).
 * @param defaults - The pipeline's resources (`pipeline.resources`), if any.
 * @param args - The arguments by the function's own argument names; only read when its
 *   resources are a function. @defaultValue `{}`
 * @param index - The element's index, when `args` are one element's, for messages.
 * @returns The resources, or undefined when neither the function nor the pipeline has any.
 * @throws {@link InvalidOptionError} naming the function (and the element) when its resources
 *   function throws or returns bad resources.
 */
export function resourcesFor(
  f: ResourcesOwner,
  defaults: ResolvedResources | undefined,
  args: Readonly<Record<string, unknown>> = EMPTY,
  index?: readonly number[],
): ResolvedResources | undefined {
  if (f.resources === undefined) return defaults;
  const where = `function "${f.name}"${index ? ` at index [${index.join(", ")}]` : ""}`;
  return mergeResources(defaults, evaluateResources(f.resources, args, where));
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * A text equal for equal resources: chunks of one function are grouped by it (elements
 * needing the same go out together).
 */
export function resourcesKey(r: ResolvedResources | undefined): string {
  if (!r) return "";
  return JSON.stringify([r.cpus, r.memoryMb, r.gpus, r.timeMinutes, r.partition, r.extra]);
}

/**
 * The resources of functions run as one (a nested function): enough for the largest part,
 * key by key (the most cpus, memory, gpus and wall time of any part), every part's `extra`
 * flags, and their partition.
 *
 * @param parts - Each part's name and resources.
 * @param where - Whose they are, for messages.
 * @throws {@link InvalidOptionError} when parts ask for different partitions.
 */
export function combineResources(
  parts: readonly { readonly name: string; readonly resources: ResolvedResources | undefined }[],
  where: string,
): ResolvedResources | undefined {
  const given = parts.flatMap((p) => (p.resources ? [{ name: p.name, r: p.resources }] : []));
  if (given.length === 0) return undefined;
  const max = (key: "cpus" | "memoryMb" | "gpus" | "timeMinutes") => {
    const values = given.flatMap((p) => (p.r[key] === undefined ? [] : [p.r[key]]));
    return values.length > 0 ? Math.max(...values) : undefined;
  };
  const partitions = given.filter((p) => p.r.partition !== undefined);
  const first = partitions[0];
  const other = partitions.find((p) => p.r.partition !== first?.r.partition);
  if (first && other) {
    throw new InvalidOptionError(
      "resources.partition",
      `The functions nested as ${where} ask for different partitions: "${first.name}" ` +
        `for "${first.r.partition}", "${other.name}" for "${other.r.partition}". A nested ` +
        "function runs as one job, on one partition: give its parts the same partition (or " +
        "none, and the pipeline's resources one).",
    );
  }
  return {
    cpus: max("cpus"),
    memoryMb: max("memoryMb"),
    gpus: max("gpus"),
    timeMinutes: max("timeMinutes"),
    partition: first?.r.partition,
    extra: [...new Set(given.flatMap((p) => p.r.extra))],
  };
}

/** Resolved resources written back as {@link Resources} (memory in MB, time in minutes). */
export function toResources(r: ResolvedResources): Resources {
  return {
    ...(r.cpus === undefined ? {} : { cpus: r.cpus }),
    ...(r.memoryMb === undefined ? {} : { memory: r.memoryMb }),
    ...(r.gpus === undefined ? {} : { gpus: r.gpus }),
    ...(r.timeMinutes === undefined ? {} : { time: r.timeMinutes }),
    ...(r.partition === undefined ? {} : { partition: r.partition }),
    ...(r.extra.length === 0 ? {} : { extra: r.extra }),
  };
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(", ")}]`;
  return value === null ? "null" : `${String(value)} (${typeof value})`;
}
