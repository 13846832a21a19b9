/**
 * A login session for the services that hand out a session id or cookie (Netcup, INWX): one login
 * is shared by every call of the run (concurrent callers wait for the same login), and when a call
 * says the session expired (`expired()` thrown inside `run`), homing logs in again once and repeats
 * that call. A second expiry right after a fresh login is an auth error: the service keeps refusing
 * the session it just gave out.
 */
import type { Api } from "./http.ts";

/** Thrown inside `Session.run` when the service says the session is no longer valid. */
export class SessionExpired extends Error {
  readonly said: string;

  constructor(said: string) {
    super(`the session expired (${said})`);
    this.said = said;
    this.name = "SessionExpired";
  }
}

export class Session<T> {
  readonly #api: Api;
  readonly #login: (signal: AbortSignal) => Promise<T>;
  #current: Promise<T> | undefined;
  /** How many logins were made (for tests and debug logs). */
  logins = 0;

  constructor(api: Api, login: (signal: AbortSignal) => Promise<T>) {
    this.#api = api;
    this.#login = login;
  }

  /** The session, logging in when there is none yet. */
  get(signal: AbortSignal): Promise<T> {
    if (!this.#current) {
      this.logins++;
      const pending = this.#login(signal);
      this.#current = pending;
      pending.catch(() => {
        if (this.#current === pending) this.#current = undefined;
      });
    }
    return this.#current;
  }

  /** Forgets `session` (when it is still the current one), so the next call logs in again. */
  forget(session?: Promise<T>): void {
    if (session === undefined || this.#current === session) this.#current = undefined;
  }

  /** `call` with the session; logs in again once when it throws SessionExpired. */
  async run<R>(signal: AbortSignal, call: (session: T) => Promise<R>, what: string): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const pending = this.get(signal);
      const session = await pending;
      try {
        return await call(session);
      } catch (error) {
        if (!(error instanceof SessionExpired)) throw error;
        this.forget(pending);
        if (attempt > 0) {
          const { label, authHelp } = this.#api.options;
          throw this.#api.error(
            `${label} refused a fresh session when asked to ${what} (${this.#api.shown(error.said)}): ${authHelp}`,
            "auth",
          );
        }
        this.#api.options.context.logger.debug(`${this.#api.label}: the session expired, logging in again`);
      }
    }
  }
}
