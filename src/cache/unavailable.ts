import { MissingDependencyError, RedisConnectionError } from "../errors.ts";

/**
 * Whether `error` says the cache cannot work at all (Redis away, or its driver not installed)
 * rather than anything about a function or a value: such errors reach the caller as they are,
 * never wrapped as a node's failure or kept as one element's error.
 */
export function isCacheUnavailable(
  error: unknown,
): error is RedisConnectionError | MissingDependencyError {
  return error instanceof RedisConnectionError || error instanceof MissingDependencyError;
}
