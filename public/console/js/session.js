// Where the console keeps the token: sessionStorage (this tab only, gone when it closes) unless
// the user ticked "remember on this device" (localStorage). Never in a URL or a cookie.
const KEY = "tributary.console.token";

/** The kept token, if any. */
export function savedToken() {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY) ?? undefined;
}

/** Keeps the token for this tab, or also on this device when `remember`. */
export function saveToken(token, remember) {
  forgetToken();
  (remember ? localStorage : sessionStorage).setItem(KEY, token);
}

/** Logs out: removes the token from both stores. */
export function forgetToken() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}
