/**
 * One PKCS#11 token, logged in, with a pool of sessions.
 *
 * - A control session for short synchronous calls (find, create, encrypt, decrypt).
 * - A pool of `sessions` sessions for multiplications: each derive runs on libuv's worker threads
 *   through the binding's asynchronous call, one session per derive, so the event loop stays free
 *   and the token works on several multiplications at once.
 * - Any PKCS#11 failure marks the token unavailable and answers {@link KeyStoreUnavailableError}
 *   (503). While unavailable, a timer (and every readiness check) tries to reconnect: once no
 *   derive is in flight it reinitialises the library, finds the token by label, reads the PIN
 *   again from its source and logs in. Object handles are looked up again afterwards.
 */
import { ConfigError } from '../errors.js';
import { type Pkcs11KeyStoreConfig, readPin } from './key-store-config.js';
import { KeyStoreUnavailableError, pkcs11ReturnValue } from './key-store-errors.js';
import {
  type LoadedModule,
  type Pkcs11Library,
  acquireModule,
  pkcs11js,
  reinitializeModule,
  releaseModule,
} from './pkcs11-module.js';

type Handle = Buffer;
const RECONNECT_INTERVAL_MS = 1000;

/** Why the token could not be opened at start, as a config error naming the setting. */
function openError(err: unknown, config: Pkcs11KeyStoreConfig): Error {
  if (err instanceof ConfigError) return err;
  const rv = pkcs11ReturnValue(err);
  if (rv === 'CKR_PIN_INCORRECT' || rv === 'CKR_PIN_LEN_RANGE' || rv === 'CKR_PIN_LOCKED')
    return new ConfigError('config.keyStore.pin', `the token ${config.tokenLabel} refused the PIN (${rv})`);
  return new ConfigError('config.keyStore', `cannot open the token ${config.tokenLabel} (${rv})`);
}

export class Pkcs11Token {
  readonly config: Pkcs11KeyStoreConfig;
  readonly #env: NodeJS.ProcessEnv;
  readonly #module: LoadedModule;
  #generation = -1;
  #control: Handle | undefined;
  #free: Handle[] = [];
  #waiting: { resolve: (session: Handle) => void; reject: (err: Error) => void }[] = [];
  #inFlight = 0;
  #available = false;
  #reconnecting: Promise<void> | undefined;
  #lastAttempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #handles = new Map<string, Handle>();
  /** The reason it is unavailable (a PKCS#11 return value name), for the log. */
  lastFault: string | undefined;

  private constructor(config: Pkcs11KeyStoreConfig, env: NodeJS.ProcessEnv, module: LoadedModule) {
    this.config = config;
    this.#env = env;
    this.#module = module;
  }

  /** Opens the token; a wrong module, label or PIN throws a {@link ConfigError} naming it. */
  static async open(config: Pkcs11KeyStoreConfig, env: NodeJS.ProcessEnv = process.env): Promise<Pkcs11Token> {
    const module = acquireModule(config.module);
    const token = new Pkcs11Token(config, env, module);
    try {
      await token.#connect();
    } catch (err) {
      token.#closeSessions();
      releaseModule(module);
      throw openError(err, config);
    }
    return token;
  }

  get lib(): Pkcs11Library {
    return this.#module.lib;
  }

  get available(): boolean {
    return this.#available;
  }

  #findSlot(): Handle {
    const lib = this.lib;
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === this.config.tokenLabel);
    if (slot === undefined)
      throw new ConfigError('config.keyStore.tokenLabel', `no token labelled ${this.config.tokenLabel} is present`);
    return slot;
  }

  async #connect(): Promise<void> {
    const pk = pkcs11js();
    const pin = await readPin(this.config.pin, this.#env, 'config.keyStore.pin');
    if (this.#generation === this.#module.generation) reinitializeModule(this.#module);
    this.#generation = this.#module.generation;
    this.#handles.clear();
    const lib = this.lib;
    const slot = this.#findSlot();
    const open = (): Handle => lib.C_OpenSession(slot, pk.CKF_SERIAL_SESSION | pk.CKF_RW_SESSION);
    this.#control = open();
    try {
      lib.C_Login(this.#control, pk.CKU_USER, pin);
    } catch (err) {
      if (pkcs11ReturnValue(err) !== 'CKR_USER_ALREADY_LOGGED_IN') throw err;
    }
    this.#free = Array.from({ length: this.config.sessions }, open);
    this.#available = true;
    this.lastFault = undefined;
  }

  #closeSessions(): void {
    for (const session of [this.#control, ...this.#free]) {
      if (session === undefined) continue;
      try {
        this.lib.C_CloseSession(session);
      } catch {
        // a session of a lost token: nothing to close
      }
    }
    this.#control = undefined;
    this.#free = [];
  }

  /** Marks the token unavailable after a failure and starts reconnecting; returns the 503 error. */
  #fault(err: unknown): KeyStoreUnavailableError {
    if (err instanceof KeyStoreUnavailableError) return err;
    this.lastFault = pkcs11ReturnValue(err);
    const unavailable = new KeyStoreUnavailableError(`the key store is not available (${this.lastFault})`, {
      cause: err,
    });
    if (this.#available) {
      this.#available = false;
      this.#timer ??= setInterval(() => void this.reconnect(), RECONNECT_INTERVAL_MS).unref();
    }
    for (const waiter of this.#waiting.splice(0)) waiter.reject(unavailable);
    return unavailable;
  }

  #unavailable(): KeyStoreUnavailableError {
    void this.reconnect();
    return new KeyStoreUnavailableError(`the key store is not available (${this.lastFault ?? 'reconnecting'})`);
  }

  /** Tries to reconnect (at most once a second, and only when no derive is in flight). */
  async reconnect(): Promise<void> {
    if (this.#available || this.#closed || this.#reconnecting !== undefined) return;
    if (this.#inFlight > 0 || Date.now() - this.#lastAttempt < RECONNECT_INTERVAL_MS) return;
    this.#lastAttempt = Date.now();
    this.#reconnecting = (async () => {
      this.#closeSessions();
      try {
        await this.#connect();
        clearInterval(this.#timer);
        this.#timer = undefined;
      } catch (err) {
        this.#closeSessions();
        this.lastFault = err instanceof ConfigError ? err.message : pkcs11ReturnValue(err);
      }
    })().finally(() => {
      this.#reconnecting = undefined;
    });
    await this.#reconnecting;
  }

  /** Readiness: the token answers (tries to reconnect first when it did not). */
  async check(): Promise<boolean> {
    if (!this.#available) await this.reconnect();
    if (!this.#available) return false;
    try {
      this.control((lib, session) => lib.C_GetTokenInfo(lib.C_GetSessionInfo(session).slotID));
      return true;
    } catch {
      return false;
    }
  }

  /** Runs short synchronous calls on the control session. */
  control<T>(work: (lib: Pkcs11Library, session: Handle) => T): T {
    if (!this.#available || this.#control === undefined) throw this.#unavailable();
    try {
      return work(this.lib, this.#control);
    } catch (err) {
      throw this.#fault(err);
    }
  }

  /**
   * Like {@link control}, for calls that fail on bad input (a wrong GCM tag): when the token still
   * answers afterwards, the failure is `refused(err)` and the token stays available.
   */
  controlOrRefuse<T>(work: (lib: Pkcs11Library, session: Handle) => T, refused: (err: unknown) => Error): T {
    if (!this.#available || this.#control === undefined) throw this.#unavailable();
    const session = this.#control;
    try {
      return work(this.lib, session);
    } catch (err) {
      try {
        this.lib.C_GetTokenInfo(this.lib.C_GetSessionInfo(session).slotID);
      } catch {
        throw this.#fault(err);
      }
      throw refused(err);
    }
  }

  /** Runs an asynchronous call on a session of the pool (waiting for a free one). */
  async withSession<T>(work: (lib: Pkcs11Library, session: Handle) => Promise<T>): Promise<T> {
    if (!this.#available) throw this.#unavailable();
    const generation = this.#generation;
    const session =
      this.#free.pop() ?? (await new Promise<Handle>((resolve, reject) => this.#waiting.push({ resolve, reject })));
    this.#inFlight++;
    try {
      return await work(this.lib, session);
    } catch (err) {
      throw this.#fault(err);
    } finally {
      this.#inFlight--;
      if (generation === this.#generation && this.#available) {
        const next = this.#waiting.shift();
        if (next !== undefined) next.resolve(session);
        else this.#free.push(session);
      }
    }
  }

  /** The handle of the object with this label (and CKA_ID), cached until the next reconnection. */
  handle(label: string, id?: Buffer): Handle {
    const key = `${label}\u0000${id?.toString('hex') ?? ''}`;
    const cached = this.#handles.get(key);
    if (cached !== undefined) return cached;
    const found = this.find(label, id);
    if (found.length !== 1)
      throw new KeyStoreUnavailableError(`the token holds ${found.length} objects labelled ${label} (expected 1)`);
    this.#handles.set(key, found[0]!);
    return found[0]!;
  }

  /** Every object with this label (and CKA_ID). */
  find(label: string, id?: Buffer): Handle[] {
    const pk = pkcs11js();
    return this.control((lib, session) => {
      lib.C_FindObjectsInit(session, [
        { type: pk.CKA_LABEL, value: label },
        ...(id === undefined ? [] : [{ type: pk.CKA_ID, value: id }]),
      ]);
      try {
        return lib.C_FindObjects(session, 100);
      } finally {
        lib.C_FindObjectsFinal(session);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#reconnecting;
    this.#available = false;
    this.#closeSessions();
    releaseModule(this.#module);
  }
}
