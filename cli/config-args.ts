/**
 * Topic configs on the command line, as rpk and kafka-configs write them: `-c retention.ms=3600000`
 * (Kafka's dotted names) or `-c retentionMs=3600000` (the API's). Pure; the server checks names
 * and ranges again and says what is wrong.
 */
import { UsageError } from "./output.ts";

/** `retention.ms` → `retentionMs`; an API name stays as it is. */
export function configName(name: string): string {
  return name.replace(/[.-]([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Parses `name=value`: a number where the value is one, else the text (`cleanup.policy=compact,delete`). */
export function parseConfigArg(text: string): [string, string | number] {
  const at = text.indexOf("=");
  if (at <= 0) throw new UsageError(`${text}: write a config as name=value (as retention.ms=3600000)`);
  const value = text.slice(at + 1);
  return [configName(text.slice(0, at)), /^-?\d+$/.test(value) ? Number(value) : value];
}

/** Collects repeated `-c name=value` options into a config object (commander's reducer). */
export function collectConfig(text: string, previous: Record<string, string | number> = {}) {
  const [name, value] = parseConfigArg(text);
  return { ...previous, [name]: value };
}
