// A consumer group in the bench process: members join through the group API, each reads the
// partition it is assigned with one fetch in flight at a time, commits its position about every
// second and heartbeats about every 3 s, as a real consumer does. All requests go through one
// keep-alive client (node:http) with one connection per member.

/**
 * @typedef {ReturnType<typeof import("./http-load.mjs").createClient>} Client
 * @typedef {{ memberId: string, generation: number, partitions: number[] }} Member
 * @typedef {{
 *   partition: number, from: number, position: number, fetches: number, commits: number,
 *   heartbeats: number, errors: number, firstError?: string, lastAnswerAt: number,
 * }} ConsumerRun
 */

/**
 * One JSON request through the keep-alive client; answers the status and the parsed body (the
 * answers of the group API are small, so the client's last 4 KB hold all of them).
 * @param {Client} client @param {string} token @param {string} method @param {string} path @param {unknown} [body]
 * @returns {Promise<{ status: number, json: any }>}
 */
export async function call(client, token, method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const answer = await client.send({
    method,
    path,
    headers,
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  });
  let json;
  try {
    json = JSON.parse(answer.tail);
  } catch {
    throw new Error(
      `${method} ${path} answered ${answer.status} with what is not whole JSON: ${answer.tail.slice(0, 300)}`,
    );
  }
  return { status: answer.status, json };
}

/** Like `call`, but anything other than 2xx throws. */
async function ok(/** @type {Client} */ client, token, method, path, body) {
  const r = await call(client, token, method, path, body);
  if (r.status < 200 || r.status > 299) {
    throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 400)}`);
  }
  return r.json;
}

/**
 * `count` members join `group` for `topic`, then heartbeat (and join again with their member id
 * when told the group is rebalancing) until the group is stable with each of the topic's
 * `partitions` partitions held by exactly one member, all at the same generation. Bounded by
 * `maxMs` and 50 passes.
 * @param {Client} client @param {string} token
 * @param {{ group: string, topic: string, count: number, partitions: number, sessionTimeoutMs: number, maxMs: number }} o
 * @returns {Promise<{ members: Member[], joinMs: number, passes: number, rejoins: number }>}
 */
export async function joinGroup(client, token, o) {
  const base = `/v1/groups/${encodeURIComponent(o.group)}/members`;
  const start = performance.now();
  /** @type {Member[]} */
  const members = [];
  const partitionsOf = (/** @type {{ topic: string, partition: number }[]} */ a) =>
    a.filter((tp) => tp.topic === o.topic).map((tp) => tp.partition);
  for (let i = 0; i < o.count; i++) {
    const j = await ok(client, token, "POST", base, { topics: [o.topic], sessionTimeoutMs: o.sessionTimeoutMs });
    members.push({ memberId: j.memberId, generation: j.generation, partitions: partitionsOf(j.assignments) });
  }
  let passes = 0;
  let rejoins = 0;
  for (;;) {
    passes++;
    let stable = true;
    for (const m of members) {
      const hb = await call(client, token, "POST", `${base}/${encodeURIComponent(m.memberId)}/heartbeat`, {
        generation: m.generation,
      });
      if (hb.status === 409 && hb.json?.error?.code === "REBALANCE_IN_PROGRESS") {
        rejoins++;
        const j = await ok(client, token, "POST", base, {
          topics: [o.topic],
          memberId: m.memberId,
          sessionTimeoutMs: o.sessionTimeoutMs,
        });
        m.generation = j.generation;
        m.partitions = partitionsOf(j.assignments);
        stable = false;
      } else if (hb.status === 200) {
        m.partitions = partitionsOf(hb.json.assignments);
        if (hb.json.state !== "Stable") stable = false;
      } else {
        throw new Error(`a heartbeat answered ${hb.status}: ${JSON.stringify(hb.json).slice(0, 400)}`);
      }
    }
    const held = members.flatMap((m) => m.partitions).sort((a, b) => a - b);
    const eachOnce = held.length === o.partitions && held.every((p, i) => p === i);
    const oneGeneration = members.every((m) => m.generation === members[0].generation);
    if (stable && eachOnce && oneGeneration) break;
    if (passes >= 50 || performance.now() - start > o.maxMs) {
      throw new Error(
        `the group did not settle with each partition held once within ${passes} passes: ` +
          members.map((m) => `${m.memberId.slice(-6)}@${m.generation}:[${m.partitions}]`).join(" "),
      );
    }
  }
  return { members, joinMs: performance.now() - start, passes, rejoins };
}

/**
 * Every member reads its one partition from `from[partition]` with `GET …/records?offset=&maxRecords=`,
 * one fetch at a time, following the nextOffset at the end of each answer (the records are not
 * parsed), committing its position every `commitEveryMs` and heartbeating every
 * `heartbeatEveryMs` between fetches. All stop when the time is up, when `maxFetches` fetches
 * were made, or as soon as one of them reaches `end[partition]` (the prefilled end), so that
 * every member reads all the time measured. Then each commits where it stopped.
 * Records counted before `warmupMs` are reported apart.
 * @param {Client} client @param {string} token
 * @param {{
 *   group: string, topic: string, members: Member[], from: number[], end: number[],
 *   maxRecords: number, durationMs: number, warmupMs: number, maxFetches: number,
 *   commitEveryMs: number, heartbeatEveryMs: number,
 * }} o
 */
export async function consumeGroup(client, token, o) {
  const group = encodeURIComponent(o.group);
  const topic = encodeURIComponent(o.topic);
  const headers = { authorization: `Bearer ${token}` };
  let stop = false;
  let fetches = 0;
  /** @type {string | undefined} */
  let reachedEnd;
  const start = performance.now();
  const deadline = start + o.warmupMs + o.durationMs;
  /** @type {ConsumerRun[]} */
  const runs = o.members.map((m) => ({
    partition: m.partitions[0],
    from: o.from[m.partitions[0]],
    position: o.from[m.partitions[0]],
    fetches: 0,
    commits: 0,
    heartbeats: 0,
    errors: 0,
    lastAnswerAt: start,
  }));
  /** Records read by answers in before the end of the warm-up. */
  let warmRecords = -1;
  let warmEndAt = start;
  const warmTimer = setTimeout(() => {
    warmRecords = runs.reduce((n, r) => n + r.position - r.from, 0);
    warmEndAt = performance.now();
  }, o.warmupMs);

  const commit = async (/** @type {Member} */ m, /** @type {ConsumerRun} */ run) => {
    const r = await call(client, token, "POST", `/v1/groups/${group}/offsets`, {
      memberId: m.memberId,
      generation: m.generation,
      offsets: [{ topic: o.topic, partition: run.partition, offset: run.position }],
    });
    run.commits++;
    if (r.status !== 200) throw new Error(`a commit answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
  };

  const consume = async (/** @type {Member} */ m, /** @type {ConsumerRun} */ run) => {
    let lastCommit = performance.now();
    let lastHeartbeat = lastCommit;
    try {
      while (!stop && performance.now() < deadline && fetches < o.maxFetches) {
        fetches++;
        run.fetches++;
        const answer = await client.send({
          method: "GET",
          path: `/v1/topics/${topic}/partitions/${run.partition}/records?offset=${run.position}&maxRecords=${o.maxRecords}`,
          headers,
        });
        run.lastAnswerAt = performance.now();
        if (answer.status !== 200) throw new Error(`a fetch answered ${answer.status}: ${answer.tail.slice(-300)}`);
        const found = /"nextOffset":(\d+)/.exec(answer.tail);
        if (!found) throw new Error(`a fetch answer has no nextOffset: …${answer.tail.slice(-200)}`);
        const next = Number(found[1]);
        if (next < run.position || next > run.position + o.maxRecords) {
          throw new Error(`a fetch from ${run.position} answered nextOffset ${next}`);
        }
        run.position = next;
        if (next >= o.end[run.partition]) {
          reachedEnd ??= `partition ${run.partition}`;
          stop = true;
        }
        const now = performance.now();
        if (now - lastCommit >= o.commitEveryMs) {
          await commit(m, run);
          lastCommit = now;
        }
        if (now - lastHeartbeat >= o.heartbeatEveryMs) {
          const hb = await call(
            client,
            token,
            "POST",
            `/v1/groups/${group}/members/${encodeURIComponent(m.memberId)}/heartbeat`,
            { generation: m.generation },
          );
          run.heartbeats++;
          lastHeartbeat = now;
          if (hb.status !== 200) throw new Error(`a heartbeat answered ${hb.status}: ${JSON.stringify(hb.json)}`);
          if (!hb.json.assignments.some((/** @type {any} */ tp) => tp.partition === run.partition)) {
            throw new Error(`member ${m.memberId} lost partition ${run.partition}: ${JSON.stringify(hb.json)}`);
          }
        }
      }
    } catch (err) {
      run.errors++;
      run.firstError ??= /** @type {Error} */ (err).message;
      stop = true;
    }
  };

  await Promise.all(o.members.map((m, i) => consume(m, runs[i])));
  clearTimeout(warmTimer);
  // The time measured ends with the last answer any member was waiting for when they stopped.
  const endedAt = Math.max(...runs.map((r) => r.lastAnswerAt));
  const records = runs.reduce((n, r) => n + r.position - r.from, 0);
  // Each commits where it stopped (not timed).
  for (const [i, m] of o.members.entries()) {
    const run = runs[i];
    try {
      await commit(m, run);
    } catch (err) {
      run.errors++;
      run.firstError ??= /** @type {Error} */ (err).message;
    }
  }
  const warmedUp = warmRecords >= 0;
  return {
    runs,
    records,
    /** Records and milliseconds after the warm-up (the whole run when it ended before the warm-up did). */
    measuredRecords: warmedUp ? records - warmRecords : records,
    measuredMs: warmedUp ? endedAt - warmEndAt : endedAt - start,
    warmupRecords: warmedUp ? warmRecords : 0,
    elapsedMs: endedAt - start,
    fetches,
    reachedEnd,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    firstError: runs.find((r) => r.firstError)?.firstError,
  };
}

/** The group's committed offsets of `topic`, by partition (null where nothing is committed). */
export async function committedOffsets(/** @type {Client} */ client, token, group, topic) {
  const j = await ok(
    client,
    token,
    "GET",
    `/v1/groups/${encodeURIComponent(group)}/offsets?topic=${encodeURIComponent(topic)}`,
  );
  /** @type {Map<number, number | null>} */
  const byPartition = new Map();
  for (const p of j.offsets) if (p.topic === topic) byPartition.set(p.partition, p.committed);
  return byPartition;
}

/** Every member leaves; answers how many could not. */
export async function leaveGroup(/** @type {Client} */ client, token, group, /** @type {Member[]} */ members) {
  let failed = 0;
  for (const m of members) {
    try {
      await ok(
        client,
        token,
        "DELETE",
        `/v1/groups/${encodeURIComponent(group)}/members/${encodeURIComponent(m.memberId)}`,
      );
    } catch {
      failed++;
    }
  }
  return failed;
}
