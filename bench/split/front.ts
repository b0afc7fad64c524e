/**
 * The front worker of the split bench (`npm run bench -- --split`): the platform's HTTP API and
 * the ad-click example's routes, with no Durable Object of its own. Its bindings
 * (front.wrangler.toml) name the classes of the objects' worker (objects.ts) by `script_name`,
 * which runs in another `wrangler dev` process. Adds `/bench/noop`, the HTTP floor of this
 * process. Runs only under bench/split/front.wrangler.toml, never deployed.
 */
import { Hono } from "hono";
import { adClickRoutes } from "../../examples/ad-click-aggregator/routes.ts";
import { adClicksApp } from "../../examples/ad-click-aggregator/topology.ts";
import { createTributary } from "../../worker/tributary.ts";

const routes = new Hono<{ Bindings: Env }>()
  // The HTTP floor: the cheapest answer this process can give.
  .get("/bench/noop", (c) => c.json({ ok: true }))
  .route("/", adClickRoutes);

export default createTributary({ streamApps: [adClicksApp], routes }).worker;
