import { InvalidOptionError } from "../errors.ts";

/** Where an adaptive sweep stands, as goals, progress listeners and the dashboard see it. */
export interface AdaptiveProgress {
  /** Points evaluated so far (failed ones included), this run and any it resumed. */
  readonly points: number;
  /** Points that failed (with `errors: "continue"`). */
  readonly failed: number;
  /** Points being evaluated now. */
  readonly inFlight: number;
  /** The learner's loss now (the worst over balanced learners); `Infinity` at first. */
  readonly loss: number;
  /** Milliseconds since this run started. */
  readonly elapsedMs: number;
}

/**
 * When an adaptive sweep stops: once its loss is at most `loss`, once it has `points` points,
 * after `seconds`, or when a predicate of its progress says so. Points in flight then finish
 * and are kept.
 */
export type AdaptiveGoal =
  | { readonly loss: number }
  | { readonly points: number }
  | { readonly seconds: number }
  | ((progress: AdaptiveProgress) => boolean);

/** A goal checked against progress, and how many more points it could still take. */
export interface ResolvedGoal {
  isReached(progress: AdaptiveProgress): boolean;
  /** Points still to start before the goal is surely met (Infinity when it cannot be known). */
  room(progress: AdaptiveProgress): number;
  /** The goal in words, for progress bars: "loss 0.01", "500 points". */
  readonly text: string;
  /** The goal as stored in a run folder; undefined for a predicate. */
  readonly json: Readonly<Record<string, number>> | undefined;
}

/**
 * Checks a `goal` option.
 *
 * @throws {@link InvalidOptionError} naming `goal` when it is none of the four forms.
 */
export function resolveGoal(goal: AdaptiveGoal | undefined): ResolvedGoal {
  if (typeof goal === "function") {
    return { isReached: goal, room: () => Number.POSITIVE_INFINITY, text: "goal", json: undefined };
  }
  const keys = goal && typeof goal === "object" ? Object.keys(goal) : [];
  const key = keys[0];
  const value = key === undefined ? undefined : (goal as Record<string, unknown>)[key];
  const isCount = key === "points" && Number.isInteger(value) && (value as number) >= 1;
  const isPositive = typeof value === "number" && value >= 0 && !Number.isNaN(value);
  if (keys.length !== 1 || (!((key === "loss" || key === "seconds") && isPositive) && !isCount)) {
    throw new InvalidOptionError(
      "goal",
      "Expected `goal` to be { loss: number }, { points: integer from 1 }, { seconds: number } " +
        `or a function of the progress, got ${describe(goal)}. For example goal: { loss: 0.01 }.`,
    );
  }
  const target = value as number;
  if (key === "loss") {
    return {
      isReached: (p) => p.loss <= target,
      room: () => Number.POSITIVE_INFINITY,
      text: `loss ${target}`,
      json: { loss: target },
    };
  }
  if (key === "points") {
    return {
      isReached: (p) => p.points >= target,
      room: (p) => target - p.points - p.inFlight,
      text: `${target} points`,
      json: { points: target },
    };
  }
  return {
    isReached: (p) => p.elapsedMs >= target * 1000,
    room: () => Number.POSITIVE_INFINITY,
    text: `${target} s`,
    json: { seconds: target },
  };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
