/**
 * Kafka's message definitions (definitions/*.json, copied from apache/kafka), loaded and indexed:
 * which versions of each API exist, which are flexible (compact encodings and tagged fields),
 * and which fields each version carries. Parsed once, at start.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** An inclusive range of versions, `[from, to]`; `to` is Infinity for "n+". Empty for "none". */
export interface VersionRange {
  from: number;
  to: number;
}

export interface FieldSpec {
  name: string;
  /** `int32`, `string`, `[]int32`, `[]SomeStruct`, `SomeStruct`, `records`, … */
  type: string;
  versions: VersionRange;
  nullableVersions: VersionRange;
  taggedVersions: VersionRange;
  /** Some fields (the request header's client id) never use compact encodings. */
  flexibleVersions?: VersionRange;
  tag?: number;
  default?: string;
  /** The fields of a struct, or of the elements of an array of structs. */
  fields?: FieldSpec[];
}

export interface MessageSpec {
  name: string;
  apiKey: number;
  type: "request" | "response" | "header";
  validVersions: VersionRange;
  flexibleVersions: VersionRange;
  fields: FieldSpec[];
}

const NONE: VersionRange = { from: 0, to: -1 };

export function parseVersions(spec: string | undefined): VersionRange {
  if (spec === undefined || spec === "none") return NONE;
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return { from: Number(plus[1]), to: Number.POSITIVE_INFINITY };
  const range = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (!range) throw new Error(`not a version range: '${spec}'`);
  return { from: Number(range[1]), to: Number(range[2] ?? range[1]) };
}

export const inRange = (r: VersionRange, v: number) => v >= r.from && v <= r.to;

interface RawField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  flexibleVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  fields?: RawField[];
}

interface RawMessage {
  name: string;
  apiKey?: number;
  type: MessageSpec["type"];
  validVersions: string;
  flexibleVersions: string;
  fields: RawField[];
  commonStructs?: { name: string; fields: RawField[] }[];
}

function toField(raw: RawField, common: Map<string, RawField[]>): FieldSpec {
  const element = raw.type.replace(/^\[\]/, "");
  const fields = raw.fields ?? common.get(element);
  return {
    name: raw.name,
    type: raw.type,
    versions: parseVersions(raw.versions),
    nullableVersions: parseVersions(raw.nullableVersions),
    taggedVersions: parseVersions(raw.taggedVersions),
    ...(raw.flexibleVersions !== undefined ? { flexibleVersions: parseVersions(raw.flexibleVersions) } : {}),
    ...(raw.tag !== undefined ? { tag: raw.tag } : {}),
    ...(raw.default !== undefined ? { default: String(raw.default) } : {}),
    ...(fields ? { fields: fields.map((f) => toField(f, common)) } : {}),
  };
}

/** The JSON of a definition file: Kafka writes them with `//` comments (its license header, notes). */
export function parseDefinition(text: string): MessageSpec {
  const json = text
    .split("\n")
    .filter((line) => !/^\s*\/\//.test(line))
    .join("\n");
  const raw = JSON.parse(json) as RawMessage;
  const common = new Map((raw.commonStructs ?? []).map((s) => [s.name, s.fields]));
  return {
    name: raw.name,
    apiKey: raw.apiKey ?? -1,
    type: raw.type,
    validVersions: parseVersions(raw.validVersions),
    flexibleVersions: parseVersions(raw.flexibleVersions),
    fields: raw.fields.map((f) => toField(f, common)),
  };
}

export interface ApiSpec {
  apiKey: number;
  name: string;
  request: MessageSpec;
  response: MessageSpec;
}

/** Every definition in `definitions/`, by API key, and the two headers. */
export function loadDefinitions(dir = fileURLToPath(new URL("./definitions/", import.meta.url))) {
  const byName = new Map<string, MessageSpec>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".json")) continue;
    const spec = parseDefinition(readFileSync(`${dir}/${file}`, "utf8"));
    byName.set(spec.name, spec);
  }
  const apis = new Map<number, ApiSpec>();
  for (const spec of byName.values()) {
    if (spec.type !== "request") continue;
    const name = spec.name.replace(/Request$/, "");
    const response = byName.get(`${name}Response`);
    if (!response) throw new Error(`${spec.name} has no ${name}Response definition`);
    apis.set(spec.apiKey, { apiKey: spec.apiKey, name, request: spec, response });
  }
  const requestHeader = byName.get("RequestHeader");
  const responseHeader = byName.get("ResponseHeader");
  if (!requestHeader || !responseHeader)
    throw new Error("the RequestHeader and ResponseHeader definitions are missing");
  return { apis, requestHeader, responseHeader };
}

export type Definitions = ReturnType<typeof loadDefinitions>;
