import { describe, expect, it } from "vitest";
import { type ClientOptions, createClient, type RetryOptions, TributaryError } from "../../sdk/index.ts";

const valid: ClientOptions = { url: "http://127.0.0.1:8787", token: "dev-token" };

/** The error `create` throws, checked to be an INVALID_ARGUMENT TributaryError. */
function configError(create: () => unknown): TributaryError {
  try {
    create();
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("INVALID_ARGUMENT");
    expect((err as TributaryError).retriable).toBe(false);
    return err as TributaryError;
  }
  throw new Error("expected the options to be refused");
}

describe("createClient options", () => {
  it("accepts a URL string and a token, and keeps a path prefix", () => {
    expect(createClient(valid).url).toBe("http://127.0.0.1:8787/");
    expect(createClient({ ...valid, url: "https://example.test/tributary" }).url).toBe(
      "https://example.test/tributary/",
    );
    expect(createClient({ ...valid, url: new URL("http://localhost:9000/") }).url).toBe("http://localhost:9000/");
  });

  it("refuses a url that is not absolute, naming the field", () => {
    const err = configError(() => createClient({ ...valid, url: "127.0.0.1:8787/" }));
    expect(err.message).toMatch(/^createClient: url: must be an absolute http:\/\/ or https:\/\/ URL/);
    expect(err.details.field).toBe("url");
  });

  it("refuses a url of another protocol", () => {
    expect(configError(() => createClient({ ...valid, url: "ftp://example.test" })).message).toMatch(
      /^createClient: url: .*\(got "ftp:\/\/example.test\/"\)$/,
    );
  });

  it("refuses a missing url", () => {
    const { url: _url, ...rest } = valid;
    expect(configError(() => createClient(rest as ClientOptions)).message).toMatch(/^createClient: url: /);
  });

  it("refuses a missing or empty token, naming the field", () => {
    expect(configError(() => createClient({ ...valid, token: "" })).message).toMatch(
      /^createClient: token: must be a non-empty string/,
    );
    expect(configError(() => createClient({ url: valid.url } as ClientOptions)).message).toMatch(
      /^createClient: token: must be a non-empty string/,
    );
  });

  it("refuses a token with a line break (it would corrupt the header)", () => {
    expect(configError(() => createClient({ ...valid, token: "dev\ntoken" })).message).toMatch(
      /^createClient: token: must not contain spaces, line breaks/,
    );
  });

  it("refuses a fetch that is not a function", () => {
    expect(configError(() => createClient({ ...valid, fetch: "fetch" as never })).message).toBe(
      "createClient: fetch: must be a function like the global fetch",
    );
  });

  it("refuses unknown options, so a typo does not go unnoticed", () => {
    const err = configError(() => createClient({ ...valid, retries: 3 } as ClientOptions));
    expect(err.message).toBe("createClient: retries: is not an option");
  });

  it.each([
    [{ retries: -1 }, "retry.retries: must be a whole number from 0 to 100"],
    [{ retries: 1.5 }, "retry.retries: must be a whole number from 0 to 100"],
    [{ initialRetryTime: 60_001 }, "retry.initialRetryTime: must be a whole number from 0 to 60000"],
    [{ maxRetryTime: -5 }, "retry.maxRetryTime: must be a whole number from 0 to 600000"],
    [{ multiplier: 0.5 }, "retry.multiplier: must be a number from 1 to 10"],
    [{ initialRetryTime: 500, maxRetryTime: 100 }, "retry.maxRetryTime: must be at least initialRetryTime (500)"],
    [{ factor: 0.2 } as RetryOptions, "retry.factor: is not an option"],
  ])("refuses retry options %j with a message naming the field and range", (retry, message) => {
    expect(configError(() => createClient({ ...valid, retry })).message).toBe(`createClient: ${message}`);
  });

  it("refuses a request timeout out of range", () => {
    expect(configError(() => createClient({ ...valid, requestTimeoutMs: 0 })).message).toBe(
      "createClient: requestTimeoutMs: must be a whole number from 1 to 600000",
    );
  });
});

describe("factory options", () => {
  const client = createClient(valid);

  it("checks a producer's acks and retry options when it is made", () => {
    expect(configError(() => client.producer({ acks: 2 as never })).message).toBe(
      'producer: acks: must be 0, 1, -1 or "all"',
    );
    expect(configError(() => client.producer({ retry: { retries: 500 } })).message).toBe(
      "producer: retry.retries: must be a whole number from 0 to 100",
    );
  });

  it("checks an admin's retry options when it is made", () => {
    expect(configError(() => client.admin({ retry: { multiplier: 20 } })).message).toBe(
      "admin: retry.multiplier: must be a number from 1 to 10",
    );
  });

  it("checks a reader's options when it is made", () => {
    expect(configError(() => client.reader({ topic: "t", partition: 0 } as never)).message).toMatch(
      /^reader: fromOffset: must be an offset/,
    );
    expect(configError(() => client.reader({ topic: "t", partition: -1, fromOffset: 0 })).message).toBe(
      "reader: partition: must be a whole number from 0 to 1023",
    );
    expect(configError(() => client.reader({ topic: "t", partition: 0, fromOffset: 0, waitMs: 5 })).message).toBe(
      "reader: waitMs: must be a whole number from 100 to 30000",
    );
    expect(configError(() => client.reader({ topic: "..", partition: 0, fromOffset: "earliest" })).message).toMatch(
      /^reader: topic: must be 1 to 249 characters/,
    );
    expect(
      configError(() => client.reader({ topic: "t", partition: 0, fromOffset: 0, retry: { retries: -2 } })).message,
    ).toBe("reader: retry.retries: must be a whole number from 0 to 100");
  });

  it("checks fetch options before sending anything", async () => {
    await expect(client.fetch({ topic: "t", partition: 0, offset: -1 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: "fetch: offset: must be a whole number from 0 to 9007199254740991",
    });
    await expect(client.fetch({ topic: "t", partition: 0, offset: 0, waitMs: 60_000 })).rejects.toMatchObject({
      message: "fetch: waitMs: must be a whole number from 0 to 30000",
    });
  });

  it("checks topic names that become part of a URL path", async () => {
    await expect(client.admin().describeTopic("a/b")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/^admin\.describeTopic: topic: must be 1 to 249 characters/),
    });
    await expect(client.producer().send({ topic: ".", messages: [{ value: 1 }] })).rejects.toMatchObject({
      message: expect.stringMatching(/^producer\.send: topic: /),
    });
  });

  it("refuses a send without messages or with a message without a value", async () => {
    const producer = client.producer();
    await expect(producer.send({ topic: "t", messages: [] })).rejects.toMatchObject({
      message: "producer.send: messages: must hold at least one message",
    });
    await expect(producer.send({ topic: "t", messages: [{ key: "k" } as never] })).rejects.toMatchObject({
      message: "producer.send: messages[0].value: is required (use null for an empty value)",
    });
  });
});
