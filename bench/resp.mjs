// A tiny Redis (RESP2) client over node:net, enough for the peer benchmark: pipelined commands,
// answers matched in order. No dependency, no reconnects.
import { connect } from "node:net";

/** @typedef {string | number | null | RespError | RespValue[]} RespValue */

export class RespError extends Error {}

/** @param {(string | number)[]} args */
export function encodeCommand(args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

const CR = 13;

/** The integer of the header line starting at `at` (after its type byte); the line ends at `eol`. */
function lineInt(/** @type {Buffer} */ buf, /** @type {number} */ at, /** @type {number} */ eol) {
  let i = at + 1;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  let n = 0;
  for (; i < eol; i++) n = n * 10 + (buf[i] - 48);
  return negative ? -n : n;
}

/**
 * Where the value starting at `at` ends, or -1 when `buf` does not hold all of it yet. Only
 * reads headers (no strings made), so checking a partly received large answer is cheap.
 * @param {Buffer} buf
 * @param {number} at
 * @returns {number}
 */
function scan(buf, at) {
  const eol = buf.indexOf(CR, at);
  if (eol === -1 || eol + 1 >= buf.length) return -1;
  const type = buf[at];
  if (type === 0x24) {
    const len = lineInt(buf, at, eol);
    if (len === -1) return eol + 2;
    const next = eol + 2 + len + 2;
    return next <= buf.length ? next : -1;
  }
  if (type === 0x2a) {
    const len = lineInt(buf, at, eol);
    let next = eol + 2;
    for (let i = 0; i < len && next !== -1; i++) next = scan(buf, next);
    return next;
  }
  return eol + 2;
}

/**
 * Parses the complete value at `at` (see scan); returns it with the offset after it.
 * @param {Buffer} buf
 * @param {number} at
 * @returns {[RespValue, number]}
 */
function parse(buf, at) {
  const eol = buf.indexOf(CR, at);
  switch (buf[at]) {
    case 0x2b: // +
      return [buf.toString("utf8", at + 1, eol), eol + 2];
    case 0x2d: // -
      return [new RespError(buf.toString("utf8", at + 1, eol)), eol + 2];
    case 0x3a: // :
      return [lineInt(buf, at, eol), eol + 2];
    case 0x24: {
      // $
      const len = lineInt(buf, at, eol);
      if (len === -1) return [null, eol + 2];
      return [buf.toString("utf8", eol + 2, eol + 2 + len), eol + 2 + len + 2];
    }
    case 0x2a: {
      // *
      const len = lineInt(buf, at, eol);
      if (len === -1) return [null, eol + 2];
      const items = new Array(len);
      let next = eol + 2;
      for (let i = 0; i < len; i++) [items[i], next] = parse(buf, next);
      return [items, next];
    }
    default:
      throw new Error(`unexpected RESP type byte ${buf[at]} at ${at}`);
  }
}

/**
 * @param {number} port
 * @param {string} [host]
 */
export function connectResp(port, host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, noDelay: true });
    /** @type {{ resolve: (v: RespValue) => void, reject: (e: Error) => void }[]} */
    const waiting = [];
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let at = 0;
      while (at < buf.length && waiting.length > 0) {
        const end = scan(buf, at);
        if (end === -1) break;
        waiting.shift()?.resolve(parse(buf, at)[0]);
        at = end;
      }
      buf = buf.subarray(at);
    });
    const fail = (/** @type {Error} */ err) => {
      for (const w of waiting.splice(0)) w.reject(err);
    };
    socket.on("error", (err) => {
      fail(err);
      reject(err);
    });
    socket.on("close", () => fail(new Error("the Redis connection closed")));
    socket.once("connect", () =>
      resolve({
        /**
         * Sends all commands in one write; resolves with their answers in order.
         * @param {(string | number)[][]} commands
         * @returns {Promise<RespValue[]>}
         */
        pipeline(commands) {
          return this.send(commands.map(encodeCommand).join(""), commands.length);
        },
        /**
         * Sends `count` commands already encoded (see encodeCommand) in one write.
         * @param {string | Buffer} payload
         * @param {number} count
         * @returns {Promise<RespValue[]>}
         */
        send(payload, count) {
          const answers = [];
          for (let i = 0; i < count; i++)
            answers.push(new Promise((res, rej) => waiting.push({ resolve: res, reject: rej })));
          socket.write(payload);
          return Promise.all(answers);
        },
        close() {
          socket.destroy();
        },
      }),
    );
  });
}
