// @ts-check
/**
 * Pictures drawn again by hand: a message's missing ones or all of them (the images button,
 * `/inline-images`), one failed or over-the-limit tag (a click on its box), one picture (the
 * viewer's Regenerate and Edit prompt). Text changes go through the one write path. These are
 * the user's choice: drawn whatever the daily limit (their requests still count).
 */
import { parseTags } from '../format/tags.js';
import { imageAfter, stripImages } from '../format/pictures.js';

/** @typedef {import('../types').ChatMessage} ChatMessage */
/** @typedef {import('../types').Job} Job */
/** @typedef {import('../picture/jobs.js').Jobs} Jobs */
/** @typedef {import('../chat/write-path.js').WritePath} WritePath */

/**
 * The text without the image that follows the tag at `ordinal`.
 * @param {string} text @param {number} ordinal
 * @returns {string|null} null when there is nothing to remove
 */
export function removeImageAt(text, ordinal) {
    const tag = parseTags(text)[ordinal];
    const image = tag && imageAfter(text, tag);
    return image ? text.slice(0, tag.end) + text.slice(image.end) : null;
}

/**
 * The visible swipe of a message, drawn again: `replace` removes our pictures and draws every
 * tag again; `append` draws only tags without a picture (failed and held ones again). Resolves when all
 * its pictures are settled, with the jobs started.
 * @param {Jobs} jobs @param {WritePath} writePath @param {ChatMessage} message @param {'replace'|'append'} mode
 * @returns {Promise<Job[]>}
 */
export async function redrawMessage(jobs, writePath, message, mode) {
    const swipeId = message.swipe_id ?? 0;
    for (const job of jobs.of(message, swipeId)) {
        if (mode === 'replace' || job.status === 'failed' || job.status === 'held') jobs.drop(job, `manual ${mode}`);
    }
    if (mode === 'replace') await writePath.rewrite(message, swipeId, (text) => stripImages(text));
    const text = message.mes ?? '';
    /** @type {Job[]} */
    const started = [];
    parseTags(text).forEach((tag, ordinal) => {
        if (imageAfter(text, tag) || jobs.find(message, swipeId, ordinal, tag.prompt)) return;
        started.push(jobs.start(message, swipeId, ordinal, tag.prompt, { shape: tag.shape }));
    });
    await Promise.all(started.map((job) => job.done));
    return started;
}

/**
 * A click on a failed (or over-the-limit, or daily-limit) box: draw that tag, with fresh retries.
 * @param {Jobs} jobs @param {ChatMessage} message @param {number} ordinal
 * @returns {Job|null} the new job, or null when the tag is gone or has a picture
 */
export function retryTag(jobs, message, ordinal) {
    const swipeId = message.swipe_id ?? 0;
    for (const job of jobs.of(message, swipeId)) {
        if (job.ordinal === ordinal && (job.status === 'failed' || job.status === 'held')) jobs.drop(job, 'retried by hand');
    }
    const text = message.mes ?? '';
    const tag = parseTags(text)[ordinal];
    if (!tag || imageAfter(text, tag) || jobs.find(message, swipeId, ordinal, tag.prompt)) return null;
    return jobs.start(message, swipeId, ordinal, tag.prompt, { shape: tag.shape });
}

/**
 * Draw one tag again (after its prompt may have been edited): its picture is removed first,
 * because a tag that already has one is left alone.
 * @param {Jobs} jobs @param {WritePath} writePath @param {ChatMessage} message @param {number} ordinal
 */
export async function redrawTag(jobs, writePath, message, ordinal) {
    const swipeId = message.swipe_id ?? 0;
    for (const job of jobs.of(message, swipeId)) if (job.ordinal === ordinal) jobs.drop(job, 'redrawn');
    await writePath.rewrite(message, swipeId, (text) => removeImageAt(text, ordinal));
    const tag = parseTags(message.mes ?? '')[ordinal];
    if (!tag) return null;
    const job = jobs.start(message, swipeId, ordinal, tag.prompt, { shape: tag.shape });
    await job.done;
    return job;
}
