import { describe, expect, it } from "vitest";
import { parseCorsOrigins } from "../../worker/middleware/cors.ts";

describe("CORS_ORIGINS", () => {
  it("allows no origin when empty or unset", () => {
    expect(parseCorsOrigins("")).toEqual({ any: false, origins: new Set() });
    expect(parseCorsOrigins(undefined)).toEqual({ any: false, origins: new Set() });
  });

  it("reads comma-separated origins, trimmed, a trailing slash dropped, and * for any", () => {
    expect(parseCorsOrigins(" https://shop.example, http://127.0.0.1:5173/ ")).toEqual({
      any: false,
      origins: new Set(["https://shop.example", "http://127.0.0.1:5173"]),
    });
    expect(parseCorsOrigins("*")).toMatchObject({ any: true });
  });

  it("names the entries that are not origins", () => {
    expect(parseCorsOrigins("shop.example,https://ok.example,https://a.example/path,ftp://x.example")).toEqual({
      invalid: ["shop.example", "https://a.example/path", "ftp://x.example"],
    });
  });
});
