import type { UntrustedPolicy } from "./integrity.ts";

/** Which backend holds an output's elements. */
export type StorageKind = "memory" | "file" | "zarr";

/** Where and what shape an output store is. */
export interface StoreOptions {
  /** The output's name (used in error messages and as the store's folder name). */
  readonly output: string;
  /** Shape of the output; `[]` for a single (0-D) value. */
  readonly shape: readonly number[];
  /** Axis names, one per shape entry. */
  readonly dims: readonly string[];
  /** Folder of this output's store (file and zarr); unused by memory. */
  readonly folder?: string;
  /**
   * The id of the run the store belongs to (run.json's `id`). File and zarr bind each stored
   * element (zarr: each chunk's presence record) to it, to the output's name and to the
   * element's place, with a checksum of its bytes.
   * @defaultValue `""`
   */
  readonly run?: string;
  /**
   * What opening a folder does with a stored element (zarr: a chunk) that is whole but not
   * bound to this run, output and place, or whose checksum fails: `"recompute"` leaves it
   * unset and emits one `PIPEWEAVE_STORE_UNTRUSTED` warning (a resumed run computes it
   * again); `"refuse"` throws RunFolderCorruptError naming the file (reading results). File
   * storage also computes again, under `"recompute"`, an element stored as its data only (it
   * held a class instance, which v8 gives back as a plain object); reading gives that data.
   * @defaultValue `"recompute"`
   */
  readonly untrusted?: UntrustedPolicy;
}

/**
 * Elements of one output, row-major by linear index. Every store keeps the values in memory;
 * file persists each element as it is set, zarr each chunk once its elements are settled and
 * partial chunks every 100 ms (atomically: temp file then rename),
 * and load what is already on disk when opened, so a resumed run knows what is done.
 */
export interface OutputStore {
  readonly kind: StorageKind;
  /** Number of elements: the product of the shape (1 for 0-D). */
  readonly size: number;
  readonly shape: readonly number[];
  readonly dims: readonly string[];
  /** True when element `index` holds a value (masked elements are not "stored"). */
  has(index: number): boolean;
  /** The element's value, or MISSING when it was never set or was masked. */
  get(index: number): unknown;
  /**
   * Stores a value; a promise when the write is asynchronous (it rejects if the write failed).
   * Call {@link OutputStore.flush} for everything to be durable.
   */
  set(index: number, value: unknown): void | Promise<void>;
  /** Masks an element in memory; nothing is persisted, so a resume computes it again. */
  setMissing(index: number): void;
  /** All elements row-major, MISSING where absent. */
  values(): unknown[];
  /** Waits for pending writes. */
  flush(): Promise<void>;
}
