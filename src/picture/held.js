// @ts-check
/**
 * Jobs held back by the daily limit (see budget.js): a picture that would be drawn by itself
 * while the day's requests are at "Pictures per day" gets a held job, which only shows its
 * box ("daily limit reached, click to draw"), like a failed one, and waits for a click.
 *
 * A held job is remembered (so its box shows again after a reload) once its reply's text is
 * final: SillyTavern stamps a streamed reply's send date, which finds the message again after
 * a reload, when the reply ends.
 */
import { log } from '../log.js';

/** @typedef {import('../types').Job} Job */
/** @typedef {import('../types').ChatMessage} ChatMessage */
/** @typedef {import('./jobs.js').Jobs} Jobs */

/** Held while their reply's text still moved: not remembered yet. @type {WeakSet<Job>} */
const unsaid = new WeakSet();

/**
 * The daily limit is reached: the job waits for a click, and its box says why.
 * @param {Jobs} jobs @param {Job} job
 * @returns {Job}
 */
export function hold(jobs, job) {
    job.status = 'held';
    job.done ??= Promise.resolve();
    log.info(`image for "${job.prompt}" waits: the daily limit of pictures is reached`);
    jobs.deps.changed(job.message);
    if (jobs.deps.moving?.(job.message)) unsaid.add(job);
    else jobs.deps.held?.(job);
    return job;
}

/**
 * The message's text is final: remember its jobs held while it moved.
 * @param {Jobs} jobs @param {ChatMessage} message
 */
export function rememberHeld(jobs, message) {
    for (const job of jobs.jobs) {
        if (job.message !== message || !unsaid.has(job)) continue;
        unsaid.delete(job);
        if (job.status === 'held') jobs.deps.held?.(job);
    }
}
