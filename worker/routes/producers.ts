/** Producer ids and epochs for idempotent produce. */
import { Hono } from "hono";
import { controllerStub } from "../../cluster/stubs.ts";
import { initProducerSchema } from "../../sdk/protocol/schemas.ts";
import { readJson } from "../body.ts";
import { authorizeInitProducer } from "../middleware/authorize.ts";
import { validate } from "../validate.ts";

export const producersRoutes = new Hono<{ Bindings: Env }>().post("/", async (c) => {
  // The body is optional: empty, `{}`, or `{"transactionalId": "…"}`.
  const { json } = await readJson(c, {});
  const { transactionalId } = validate(initProducerSchema, json, "producer request");
  authorizeInitProducer(c, transactionalId);
  return c.json(await controllerStub(c.env).initProducer(transactionalId));
});
