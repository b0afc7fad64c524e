/** Commander argument parsers shared by the commands: whole numbers, and repeatable options. */
import { InvalidArgumentError } from "commander";

/** A whole number from `min`. */
export function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`must be a whole number, at least ${min}`);
    }
    return n;
  };
}

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
