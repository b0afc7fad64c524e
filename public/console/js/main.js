// The console's entry: login, logout and the hash router (#/topics/orders: the hash never
// reaches the server, and holds no token). Each view gets a context whose timers and streams
// stop when the user moves to another view or logs out.
import { api, whenUnauthenticated } from "./api.js";
import { h } from "./dom.js";
import { forgetToken, savedToken, saveToken } from "./session.js";
import { appsView, appView } from "./views/apps.js";
import { groupsView, groupView } from "./views/groups.js";
import { messagesView } from "./views/messages.js";
import { overviewView } from "./views/overview.js";
import { topicView } from "./views/topic.js";
import { topicsView } from "./views/topics.js";

/** @type {[RegExp, (root: HTMLElement, params: string[], ctx: ViewContext) => Promise<void>, string][]} */
const ROUTES = [
  [/^#?\/?$/, overviewView, "overview"],
  [/^#\/topics$/, topicsView, "topics"],
  [/^#\/topics\/([^/]+)$/, topicView, "topics"],
  [/^#\/topics\/([^/]+)\/messages$/, messagesView, "topics"],
  [/^#\/groups$/, groupsView, "groups"],
  [/^#\/groups\/([^/]+)$/, groupView, "groups"],
  [/^#\/apps$/, appsView, "apps"],
  [/^#\/apps\/([^/]+)$/, appView, "apps"],
];

/** @param {string} id */
const $ = (id) => document.getElementById(id);
/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
const status = $("status");
let current;

function setStatus(text, error = false) {
  status.textContent = text;
  status.className = error ? "error" : "";
}

/**
 * @typedef {{ signal: AbortSignal, status: (text: string, error?: boolean) => void,
 *   every: (ms: number, fn: () => Promise<void>) => Promise<void>, stop: () => void }} ViewContext
 */

/** What a view may use; everything it starts through it stops with the view. @returns {ViewContext} */
function createContext() {
  const controller = new AbortController();
  const timers = [];
  return {
    signal: controller.signal,
    status: setStatus,
    /** Runs `fn` now and every `ms` (never two at once), until the view goes. */
    every(ms, fn) {
      let running = false;
      const run = async () => {
        if (running || controller.signal.aborted) return;
        running = true;
        try {
          await fn();
          setStatus(`updated ${new Date().toLocaleTimeString()}`);
        } catch (err) {
          if (!controller.signal.aborted) setStatus(err instanceof Error ? err.message : String(err), true);
        } finally {
          running = false;
        }
      };
      timers.push(setInterval(run, ms));
      return run();
    },
    stop() {
      controller.abort();
      for (const t of timers) clearInterval(t);
    },
  };
}

async function route() {
  current?.stop();
  const view = $("view");
  view.replaceChildren();
  if (!savedToken()) return;
  const hash = location.hash || "#/";
  const found = ROUTES.map(([re, fn, nav]) => ({ m: re.exec(hash), fn, nav })).find((r) => r.m);
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", found?.nav === a.getAttribute("data-nav"));
  }
  if (!found) {
    view.append(h("section", null, h("p", { class: "error" }, "No such page."), h("a", { href: "#/" }, "Overview")));
    return;
  }
  current = createContext();
  const params = found.m.slice(1).map((s) => decodeURIComponent(s));
  try {
    await found.fn(view, params, current);
  } catch (err) {
    if (!current.signal.aborted) {
      view.append(h("section", null, h("p", { class: "error" }, err instanceof Error ? err.message : String(err))));
    }
  }
}

function showLoggedIn(principal) {
  $("login").hidden = true;
  $("nav").hidden = false;
  $("logout").hidden = false;
  const who = $("who");
  who.hidden = false;
  who.textContent = principal.superuser ? `${principal.name} (superuser)` : `token ${principal.name}`;
  void route();
}

function showLogin(message) {
  current?.stop();
  current = undefined;
  $("view").replaceChildren();
  $("nav").hidden = true;
  $("logout").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message ?? "";
  input("token").focus();
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = input("token");
  const token = field.value.trim();
  const button = /** @type {HTMLButtonElement} */ ($("login").querySelector("button"));
  button.disabled = true;
  try {
    const principal = await api("/token", { token });
    saveToken(token, input("remember").checked);
    field.value = "";
    showLoggedIn(principal);
  } catch (err) {
    $("login-error").textContent = err instanceof Error ? err.message : String(err);
  } finally {
    button.disabled = false;
  }
});

$("logout").addEventListener("click", () => {
  forgetToken();
  showLogin("Logged out.");
});

whenUnauthenticated((err) => {
  forgetToken();
  showLogin(`The API refused the token: ${err.message}`);
});

window.addEventListener("hashchange", () => void route());

if (savedToken()) {
  api("/token").then(showLoggedIn, (err) => showLogin(err.message));
} else {
  showLogin();
}
