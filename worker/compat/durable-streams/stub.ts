/**
 * The DurableStream object of a stream path. Kept beside the routes rather than in
 * worker/stubs.ts because only this compat layer talks to it.
 */
export function durableStreamStub(env: Env, path: string) {
  return env.DURABLE_STREAM.get(env.DURABLE_STREAM.idFromName(path));
}
