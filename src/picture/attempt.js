// @ts-check
/**
 * One attempt at drawing a job's picture: through the queue, with its own timeout that counts
 * from the start of drawing (not from the queue), and the pause before a retry.
 */
import { untilAborted } from '../abort.js';

/** @typedef {import('../types').Job} Job */

/** Pause before retry n (1-based): 1.5 s, 3 s, 6 s, ... at most 30 s. @param {number} n */
export function retryDelayMs(n) {
    return Math.min(30_000, 1500 * 2 ** (n - 1));
}

/**
 * @typedef {object} AttemptDeps
 * @property {import('./queue.js').Limiter} queue
 * @property {(prompt: string, signal: AbortSignal, seed?: number | null, negative?: string) => Promise<string>} draw
 * @property {number} timeoutMs
 * @property {(seconds: number) => string} [timedOut] the reason shown for a timeout (translated by the caller)
 */

/**
 * Draw the job's picture once. Sets `job.src` on success.
 * @param {Job} job @param {AttemptDeps} deps
 * @returns {Promise<unknown>} null on success, else the reason it failed
 */
export async function attemptDraw(job, { queue, draw, timeoutMs, timedOut }) {
    const attempt = new AbortController();
    const stop = () => attempt.abort(job.controller.signal.reason);
    job.controller.signal.addEventListener('abort', stop, { once: true });
    const { signal } = attempt;
    const seconds = timeoutMs / 1000;
    try {
        job.src = await queue.run(() => {
            const timer = setTimeout(() => attempt.abort(new Error(timedOut?.(seconds) ?? `timed out after ${seconds} s`)), timeoutMs);
            // `/sd` passes the signal on to its source, but a source may ignore it.
            return untilAborted(draw(job.sent?.prompt ?? job.prompt, signal, job.sent?.seed ?? null, job.sent?.negative ?? ''), signal).finally(() => clearTimeout(timer));
        }, { signal });
        return null;
    } catch (error) {
        return (signal.aborted ? signal.reason : error) ?? new Error('failed');
    } finally {
        job.controller.signal.removeEventListener('abort', stop);
    }
}

/**
 * Wait `ms`, or less if the job is dropped meanwhile.
 * @param {Job} job @param {number} ms
 * @returns {Promise<void>}
 */
export function pause(job, ms) {
    return new Promise((resolve) => {
        const done = () => {
            clearTimeout(timer);
            job.controller.signal.removeEventListener('abort', done);
            resolve();
        };
        const timer = setTimeout(done, ms);
        job.controller.signal.addEventListener('abort', done, { once: true });
    });
}
