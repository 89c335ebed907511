// @ts-check
/**
 * One queue for every image generation. Image backends are slow, often single-GPU, and some
 * rate-limit; a story with ten prompts must not fire ten requests at once. Pure (no SillyTavern,
 * no DOM): the clock and the sleep are injected so the behaviour can be tested without waiting.
 */

const MAX_CONCURRENT_LIMIT = 16;
const MAX_INTERVAL_MS = 3_600_000;

/**
 * @typedef {object} LimiterOptions
 * @property {number} maxConcurrent jobs running at once, 1..16
 * @property {number} minIntervalMs least time between two starts, 0..3600000
 * @property {() => number} [now]
 * @property {(ms: number) => Promise<unknown>} [sleep]
 */

/**
 * @typedef {object} Limiter
 * @property {<T>(fn: () => T | Promise<T>, opts?: {signal?: AbortSignal}) => Promise<T>} run
 * @property {(opts: {maxConcurrent?: number, minIntervalMs?: number}) => void} setOptions
 * @property {number} active jobs running now
 * @property {number} queued jobs waiting
 */

/**
 * @typedef {object} Entry
 * @property {() => any} fn
 * @property {(value: any) => void} resolve
 * @property {(error: any) => void} reject
 * @property {AbortSignal | undefined} signal
 * @property {(() => void) | null} onAbort
 */

/** @param {unknown} value */
function checkMaxConcurrent(value) {
    if (!Number.isInteger(value) || /** @type {number} */ (value) < 1 || /** @type {number} */ (value) > MAX_CONCURRENT_LIMIT) {
        throw new TypeError(`maxConcurrent must be an integer from 1 to ${MAX_CONCURRENT_LIMIT}, got ${describe(value)}`);
    }
    return /** @type {number} */ (value);
}

/** @param {unknown} value */
function checkMinInterval(value) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_INTERVAL_MS) {
        throw new TypeError(`minIntervalMs must be a number from 0 to ${MAX_INTERVAL_MS}, got ${describe(value)}`);
    }
    return value;
}

/** @param {unknown} value */
function describe(value) {
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
    return typeof value;
}

/** @param {unknown} reason */
function abortError(reason) {
    const error = new Error('aborted while waiting for an image generation slot', { cause: reason });
    error.name = 'AbortError';
    return error;
}

/**
 * @param {LimiterOptions} options
 * @returns {Limiter}
 */
export function createLimiter({ maxConcurrent, minIntervalMs, now = () => Date.now(), sleep = (ms) => new Promise((r) => setTimeout(r, ms)) }) {
    const max = checkMaxConcurrent(maxConcurrent);
    const interval = checkMinInterval(minIntervalMs);
    if (typeof now !== 'function') throw new TypeError('now must be a function returning milliseconds');
    if (typeof sleep !== 'function') throw new TypeError('sleep must be a function returning a promise');
    return new JobQueue(max, interval, now, sleep);
}

/** @implements {Limiter} */
class JobQueue {
    /** @type {Entry[]} */
    #queue = [];
    #active = 0;
    #lastStart = -Infinity;
    // Only one pump loop at a time, so a sleep for the interval is never doubled up.
    #pumping = false;
    #max;
    #interval;
    #now;
    #sleep;

    /** @param {number} max @param {number} interval @param {() => number} now @param {(ms: number) => Promise<unknown>} sleep */
    constructor(max, interval, now, sleep) {
        this.#max = max;
        this.#interval = interval;
        this.#now = now;
        this.#sleep = sleep;
    }

    /**
     * @template T
     * @param {() => T | Promise<T>} fn @param {{signal?: AbortSignal}} [opts]
     * @returns {Promise<T>}
     */
    run(fn, { signal } = {}) {
        if (typeof fn !== 'function') return Promise.reject(new TypeError('run needs a function'));
        if (signal?.aborted) return Promise.reject(abortError(signal.reason));
        return new Promise((resolve, reject) => {
            /** @type {Entry} */
            const entry = { fn, resolve, reject, signal, onAbort: null };
            if (signal) {
                entry.onAbort = () => {
                    const index = this.#queue.indexOf(entry);
                    if (index === -1) return; // already running: aborting it is fn's business
                    this.#queue.splice(index, 1);
                    reject(abortError(signal.reason));
                };
                signal.addEventListener('abort', entry.onAbort, { once: true });
            }
            this.#queue.push(entry);
            void this.#pump();
        });
    }

    /** @param {{maxConcurrent?: number, minIntervalMs?: number}} opts */
    setOptions(opts) {
        const nextMax = opts.maxConcurrent === undefined ? this.#max : checkMaxConcurrent(opts.maxConcurrent);
        const nextInterval = opts.minIntervalMs === undefined ? this.#interval : checkMinInterval(opts.minIntervalMs);
        this.#max = nextMax;
        this.#interval = nextInterval;
        void this.#pump();
    }

    get active() {
        return this.#active;
    }

    get queued() {
        return this.#queue.length;
    }

    /** @param {Entry} entry */
    #start(entry) {
        if (entry.signal && entry.onAbort) entry.signal.removeEventListener('abort', entry.onAbort);
        this.#active++;
        this.#lastStart = this.#now();
        /** @type {Promise<any>} */
        let result;
        try {
            result = Promise.resolve(entry.fn());
        } catch (error) {
            result = Promise.reject(error);
        }
        result.then(
            (value) => this.#settle(() => entry.resolve(value)),
            (error) => this.#settle(() => entry.reject(error)),
        );
    }

    /** @param {() => void} report */
    #settle(report) {
        this.#active--;
        report();
        void this.#pump();
    }

    async #pump() {
        if (this.#pumping) return;
        this.#pumping = true;
        try {
            while (this.#queue.length && this.#active < this.#max) {
                const wait = this.#lastStart + this.#interval - this.#now();
                if (wait > 0) {
                    // Re-check everything after the sleep: jobs may have been aborted and the
                    // options changed meanwhile.
                    await this.#sleep(wait);
                    continue;
                }
                this.#start(/** @type {Entry} */ (this.#queue.shift()));
            }
        } catch (error) {
            // Only a broken injected sleep gets here; fail the waiting jobs rather than hang them.
            for (const entry of this.#queue.splice(0)) entry.reject(error);
        } finally {
            this.#pumping = false;
        }
    }
}
