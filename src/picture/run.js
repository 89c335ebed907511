// @ts-check
/**
 * A job's run: draw, retry as the settings say, draw again what another picture overwrote
 * or what Image Generation discarded on a chat switch, then hand the picture to its message.
 * A picture drawn by itself whose request the daily limit stops (a retry, a redraw) waits
 * for a click instead.
 */
import { attemptDraw, DAILY_LIMIT, pause, retryDelayMs } from './attempt.js';
import { errorText, log } from '../log.js';
import { hold } from './held.js';

/** @typedef {import('../types').Job} Job */
/** @typedef {import('./jobs.js').Jobs} Jobs */

/** How often a picture Image Generation discarded on a chat switch is drawn again. */
const MAX_SWITCH_REDRAWS = 3;
/** How often a picture whose file another picture overwrote is drawn again. */
const MAX_REDRAWS = 2;
const GONE = 'its message is gone or no longer shown';

/** @param {Jobs} jobs @param {Job} job */
export async function runJob(jobs, job) {
    // Drawn by itself, it reserves its request's slot now: the daily limit counts the pictures
    // about to be drawn too, not only those sent (see budget.js). At the limit it waits.
    if (job.auto && jobs.deps.budget?.reserve(job, jobs.deps.settings().dailyLimit ?? 0) === false) return void hold(jobs, job);
    for (;;) {
        if (!(await drawWithRetries(jobs, job))) return;
        job.status = 'ready';
        const redo = claimFile(jobs, job);
        if (redo === null) break;
        // Its file may hold the other picture, or a mix of both writes: draw it again once
        // the other one's redraw is saved, so the two cannot be saved in one millisecond.
        job.status = 'pending';
        delete job.src;
        job.redraws++;
        job.attempt = 1;
        jobs.deps.changed(job.message);
        await redo;
        if (/** @type {string} */ (job.status) === 'dropped') return;
        if (!mayRetry(jobs, job)) return jobs.drop(job, GONE);
    }
    jobs.deps.changed(job.message);
    await jobs.commit(job);
}

/**
 * @param {Jobs} jobs @param {Job} job
 * @returns {Promise<boolean>} true once job.src is set; false if it failed or was dropped
 */
async function drawWithRetries(jobs, job) {
    const { deps } = jobs;
    for (;;) {
        const timeoutMs = deps.settings().timeoutSeconds * 1000;
        const failure = await attemptDraw(job, { queue: jobs.queue, draw: deps.draw, timeoutMs, timedOut: deps.timedOut,
            budget: deps.budget, dailyLimit: () => deps.settings().dailyLimit ?? 0 });
        if (job.status === 'dropped') return false;
        if (failure === null) return true;
        // Drawn by itself, and the day's pictures reached the limit: it waits for a click.
        if (/** @type {any} */ (failure)?.[DAILY_LIMIT] === true) {
            hold(jobs, job);
            return false;
        }
        // Image Generation discarded the picture because the chat was switched meanwhile:
        // draw it again at once, without using up an attempt (bounded all the same).
        if (/** @type {any} */ (failure)?.chatChanged === true && job.redrawsForSwitch < MAX_SWITCH_REDRAWS) {
            job.redrawsForSwitch++;
            log.info(`image for "${job.prompt}" was discarded by Image Generation (chat switched); drawing it again`);
            continue;
        }
        job.error = errorText(failure);
        // A missing Image Generation extension does not come back by itself.
        const permanent = /** @type {any} */ (failure)?.permanent === true;
        if (permanent || job.attempt >= job.attempts || !mayRetry(jobs, job)) return fail(jobs, job, failure);
        log.info(`image for "${job.prompt}" failed (attempt ${job.attempt} of ${job.attempts}): ${job.error}; retrying`);
        // The box says "attempt n of m" from the pause on, so a retry is visible at once.
        job.attempt++;
        deps.changed(job.message);
        jobs.pausing++;
        await pause(job, (deps.retryDelayMs ?? retryDelayMs)(job.attempt - 1)).finally(() => jobs.pausing--);
        // The job may have been dropped while it paused (status is not narrowed across await).
        if (/** @type {string} */ (job.status) === 'dropped') return false;
        if (!mayRetry(jobs, job)) {
            jobs.drop(job, GONE);
            return false;
        }
    }
}

/** @param {Jobs} jobs @param {Job} job @param {unknown} failure @returns {false} */
function fail(jobs, job, failure) {
    job.status = 'failed';
    log.warn(`image for "${job.prompt}" failed after ${job.attempt} attempt(s): ${job.error}`);
    jobs.deps.changed(job.message);
    jobs.deps.failed?.(job, failure);
    return false;
}

/**
 * Whether a failed job may try again: not once its message was deleted or regenerated in
 * the open chat, or its swipe is no longer the one shown. A job of a closed chat goes on.
 * @param {Jobs} jobs @param {Job} job
 */
function mayRetry({ deps }, job) {
    if (job.chatId !== deps.chatId() || deps.loaded?.() === false) return true;
    const index = deps.indexOf?.(job.message) ?? 0;
    return index >= 0 && (job.message.swipe_id ?? 0) === job.swipeId;
}

/**
 * Neither of two pictures saved under one name can be trusted (see shared-files.js): the
 * older one is drawn again now, the newer one once that redraw is saved (each at most
 * MAX_REDRAWS times; past that, the path is kept).
 * @param {Jobs} jobs @param {Job} job a job whose picture just arrived (job.src set)
 * @returns {Promise<unknown>|null} null: the path is the job's; else draw it again once this settles
 */
function claimFile(jobs, job) {
    const owner = jobs.files.claim(job);
    if (!owner) return null;
    const src = /** @type {string} */ (job.src);
    log.warn(`two pictures were saved as ${src}; drawing "${owner.prompt}" and "${job.prompt}" again`);
    /** @type {Promise<unknown>} */
    let redo = Promise.resolve();
    if (owner.redraws < MAX_REDRAWS) {
        const replaceSrc = owner.status === 'ready' ? undefined : src;
        if (owner.status === 'ready') jobs.drop(owner, 'its file was overwritten');
        redo = jobs.start(owner.message, owner.swipeId, owner.ordinal, owner.prompt,
            { chatId: owner.chatId, redraws: owner.redraws + 1, sent: owner.sent, auto: owner.auto, ...(replaceSrc ? { replaceSrc } : {}) }).done ?? redo;
    }
    if (job.redraws >= MAX_REDRAWS) {
        jobs.files.remember(job);
        return null;
    }
    return redo;
}
