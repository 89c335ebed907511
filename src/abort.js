// @ts-check
/** Waiting on work that may not listen to its abort signal. */

/**
 * `promise`, or the signal's reason as soon as it aborts: a source (an image backend, an LLM
 * request) that ignores the signal must not hold its caller (or a slot of the queue) forever.
 * @template T
 * @param {Promise<T>} promise @param {AbortSignal} signal
 * @returns {Promise<T>}
 */
export function untilAborted(promise, signal) {
    /** @type {Promise<never>} */
    const aborted = new Promise((_resolve, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    return Promise.race([promise, aborted]);
}
