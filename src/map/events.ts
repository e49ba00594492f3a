/**
 * Sweep lifecycle events. Progress bars, the dashboard and programs are listeners of this one
 * stream; with no listener `map` does not build the events.
 */
export interface ProgressListener {
  /** A function's elements are about to run; `total` counts them, `done` those already stored. */
  readonly onNodeStart?: (node: string, total: number, done: number) => void;
  /** Elements finished since the last call (`failed` of them failed or were masked). */
  readonly onProgress?: (node: string, done: number, failed: number) => void;
  /** The function's elements are all settled. */
  readonly onNodeEnd?: (node: string) => void;
}
