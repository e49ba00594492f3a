/**
 * Numbers for people: the CLI's formatting functions and the page script's copies of them give
 * the same text for the same figures.
 */
import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatNumber,
  HUMAN_SCRIPT,
} from "../../src/_internal/human.ts";

type Format = (v: number) => string;

/** The page script's functions, evaluated as a page would. */
const page = new Function(
  `${HUMAN_SCRIPT}; return { formatCount, formatDuration, formatNumber };`,
)() as {
  formatCount: Format;
  formatDuration: Format;
  formatNumber: Format;
};

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [0.0004, "< 0.001 ms"],
    [0.022633000000041648, "0.02 ms"],
    [0.97, "1 ms"],
    [2.46, "2.5 ms"],
    [850.2, "850 ms"],
    [999.6, "1.0 s"],
    [12_340, "12.3 s"],
    [59_960, "1 min 0 s"],
    [80_000, "1 min 20 s"],
    [3_599_000, "59 min 59 s"],
    [7_380_000, "2 h 03 min"],
    [-1, "-"],
    [Number.NaN, "-"],
  ])("%s ms reads %s, in Node and in the page", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(page.formatDuration(ms)).toBe(text);
  });
});

describe("formatCount and formatNumber", () => {
  it.each([
    [0, "0"],
    [999, "999"],
    [1000, "1,000"],
    [1_234_567, "1,234,567"],
    [-45_000, "-45,000"],
  ])("count %s reads %s", (n, text) => {
    expect(formatCount(n)).toBe(text);
    expect(page.formatCount(n)).toBe(text);
  });

  it.each([
    [3, "3"],
    [12_000, "12,000"],
    [0.5, "0.5"],
    [0.123456, "0.1235"],
    [12.3456, "12.35"],
    [1234.56, "1,235"],
    [0.00001234, "1.2e-5"],
    [2e12, "2e12"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "∞"],
  ])("figure %s reads %s", (v, text) => {
    expect(formatNumber(v)).toBe(text);
    expect(page.formatNumber(v)).toBe(text);
  });
});

describe("formatBytes", () => {
  it.each([
    [512, "512 B"],
    [3482, "3.4 KiB"],
    [985_661, "963 KiB"],
    [1_572_864, "1.5 MiB"],
    [-2048, "-2 KiB"],
    [Number.NaN, "n/a"],
  ])("%s bytes read %s", (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});
