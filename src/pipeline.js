// @ts-check
/**
 * The illustration pipeline: from tags in a reply to images in the message.
 *
 * Jobs hold the message *object* (not its index or text): an index shifts when an earlier
 * message is deleted, and text goes stale across an await. At commit time the object is
 * looked up in the current chat; if it is not there (deleted, regenerated, chat switched)
 * the image is dropped and nothing else is touched.
 */
import { parseTags, TagScanner } from './core/parser.js';
import { imageMarkup, insertImage, imageAfter, stripImages } from './core/insertion.js';
import { createLimiter } from './core/limiter.js';
import { log } from './log.js';

/** @typedef {import('./types').Job} Job */
/** @typedef {import('./types').ChatMessage} ChatMessage */
/** @typedef {import('./types').Settings} Settings */

/**
 * @typedef {object} PipelineDeps
 * @property {() => Settings} settings
 * @property {() => string} chatId
 * @property {(prompt: string, signal: AbortSignal) => Promise<string>} draw resolves to the image URL, rejects with a readable Error
 * @property {(job: Job, markup: string) => Promise<'written'|'unchanged'|'gone'>} commit
 * @property {(message: ChatMessage) => void} changed the message's display should refresh
 * @property {(seconds: number) => string} [timedOut] the reason shown for a timed-out image (translated by the caller)
 */

/** @typedef {{scanner: TagScanner, base: number, swipeId: number}} StreamState */

export class Pipeline {
    /** @param {PipelineDeps} deps */
    constructor(deps) {
        this.deps = deps;
        /** @type {Set<Job>} */
        this.jobs = new Set();
        /** Messages whose text SillyTavern is still streaming: writing to them would be wiped.
         * @type {Map<ChatMessage, StreamState>} */
        this.streams = new Map();
        const s = deps.settings();
        this.limiter = createLimiter({ maxConcurrent: s.maxConcurrent, minIntervalMs: s.minIntervalMs });
        this.nextId = 1;
    }

    applySettings() {
        const s = this.deps.settings();
        this.limiter.setOptions({ maxConcurrent: s.maxConcurrent, minIntervalMs: s.minIntervalMs });
    }

    // -- streaming -------------------------------------------------------------------

    /**
     * A streamed reply began on `message`. `priorText` is text the stream continues (for
     * `continue`), whose tags keep their own ordinals.
     * @param {ChatMessage} message @param {number} swipeId @param {string} priorText
     */
    streamStarted(message, swipeId, priorText) {
        this.streams.set(message, { scanner: new TagScanner(), base: parseTags(priorText).length, swipeId });
    }

    /**
     * New streamed text (cumulative for this stream). Only the new part is scanned; a tag
     * starts its image the moment its closing `>` arrives.
     * @param {ChatMessage} message @param {string} text
     */
    streamText(message, text) {
        const state = this.streams.get(message);
        if (!state) return;
        const fresh = state.scanner.feed(text);
        if (!fresh.length || !this.deps.settings().generateWhileStreaming) return;
        for (const tag of fresh) this.ensureJob(message, state.swipeId, state.base + tag.ordinal, tag.prompt);
    }

    /**
     * The reply is final (stream ended, was stopped, or arrived whole): start jobs for tags
     * that have none, and commit images that finished while the text was still moving.
     * @param {ChatMessage} message
     */
    messageFinished(message) {
        const swipeId = message.swipe_id ?? 0;
        const text = message.mes ?? '';
        parseTags(text).forEach((tag, ordinal) => {
            if (imageAfter(text, tag)) return;
            this.ensureJob(message, swipeId, ordinal, tag.prompt);
        });
        this.settle(message);
    }

    /**
     * The text of `message` no longer moves: commit the images that finished while it did.
     * Starts nothing (used alone when the extension was turned off mid-reply).
     * @param {ChatMessage} message
     */
    settle(message) {
        this.streams.delete(message);
        for (const job of this.jobs) {
            if (job.message === message && job.status === 'ready') void this.commit(job);
        }
    }

    // -- jobs ------------------------------------------------------------------------

    /** @param {ChatMessage} message @param {number} swipeId @param {number} ordinal @param {string} prompt */
    findJob(message, swipeId, ordinal, prompt) {
        for (const job of this.jobs) {
            if (job.message === message && job.swipeId === swipeId && job.ordinal === ordinal && job.prompt === prompt) return job;
        }
        return null;
    }

    /** @param {ChatMessage} message @param {number} swipeId @param {number} ordinal @param {string} prompt */
    ensureJob(message, swipeId, ordinal, prompt) {
        return this.findJob(message, swipeId, ordinal, prompt) ?? this.start(message, swipeId, ordinal, prompt);
    }

    /** @param {ChatMessage} message @param {number} swipeId @param {number} ordinal @param {string} prompt */
    start(message, swipeId, ordinal, prompt) {
        /** @type {Job} */
        const job = {
            id: this.nextId++, chatId: this.deps.chatId(), message, swipeId, ordinal, prompt,
            status: 'pending', controller: new AbortController(),
        };
        this.jobs.add(job);
        log.debug(`job ${job.id}: #${ordinal} "${prompt}"`);
        this.deps.changed(message);
        job.done = this.run(job);
        return job;
    }

    /** @param {Job} job */
    async run(job) {
        const { signal } = job.controller;
        const timeoutMs = this.deps.settings().timeoutSeconds * 1000;
        try {
            const src = await this.limiter.run(() => {
                // The timeout counts from the start of drawing, not from the queue.
                const timer = setTimeout(() => job.controller.abort(new Error(this.deps.timedOut?.(timeoutMs / 1000) ?? `timed out after ${timeoutMs / 1000} s`)), timeoutMs);
                // `/sd` passes the signal on to its source, but a source that ignores it must
                // not hold a slot of the limiter (and the job) forever: settle on abort too.
                /** @type {Promise<never>} */
                const aborted = new Promise((_resolve, reject) => {
                    if (signal.aborted) reject(signal.reason);
                    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
                });
                return Promise.race([this.deps.draw(job.prompt, signal), aborted]).finally(() => clearTimeout(timer));
            }, { signal });
            if (job.status === 'dropped') return;
            job.status = 'ready';
            job.src = src;
        } catch (error) {
            if (job.status === 'dropped') return;
            job.status = 'failed';
            const reason = signal.aborted ? signal.reason : error;
            job.error = reason instanceof Error ? reason.message : String(reason);
            log.warn(`image for "${job.prompt}" failed: ${job.error}`);
        }
        this.deps.changed(job.message);
        if (job.status === 'ready') await this.commit(job);
    }

    /** @param {Job} job */
    async commit(job) {
        if (job.status !== 'ready' || this.streams.has(job.message)) return; // finished stream commits it
        if (job.chatId !== this.deps.chatId()) return this.drop(job, 'chat changed');
        job.status = 'committed';
        const markup = imageMarkup({ src: /** @type {string} */ (job.src), prompt: job.prompt });
        let result;
        try {
            result = await this.deps.commit(job, markup);
        } catch (error) {
            log.error('could not write the image into the message', error);
            result = 'gone';
        }
        this.jobs.delete(job);
        if (result === 'gone') log.info(`dropped image for "${job.prompt}": its message is gone`);
    }

    /** @param {Job} job @param {string} why */
    drop(job, why) {
        job.status = 'dropped';
        job.controller.abort(new Error(why));
        this.jobs.delete(job);
        log.debug(`job ${job.id} dropped: ${why}`);
    }

    /** Drop every job whose message is not in `chat` (deleted, regenerated, other chat).
     * @param {ChatMessage[]} chat @param {string} why */
    dropOrphans(chat, why) {
        const present = new Set(chat);
        for (const job of [...this.jobs]) if (!present.has(job.message)) this.drop(job, why);
        for (const message of [...this.streams.keys()]) if (!present.has(message)) this.streams.delete(message);
    }

    /**
     * What the display shows for each tag of the swipe on screen.
     * @param {ChatMessage} message
     * @returns {Map<number, {status: 'pending'|'ready'|'failed', src?: string, error?: string}>|null}
     */
    statesFor(message) {
        /** @type {Map<number, any>|null} */
        let states = null;
        const swipeId = message.swipe_id ?? 0;
        for (const job of this.jobs) {
            if (job.message !== message || job.swipeId !== swipeId) continue;
            const status = job.status === 'committed' ? 'ready' : job.status;
            if (status !== 'pending' && status !== 'ready' && status !== 'failed') continue;
            (states ??= new Map()).set(job.ordinal, { status, src: job.src, error: job.error });
        }
        return states;
    }

    /** Whether SillyTavern is still writing this message's text. @param {ChatMessage} message */
    isStreaming(message) {
        return this.streams.has(message);
    }

    /**
     * Manual generation for one message's visible swipe. `replace` removes this extension's
     * images and draws every tag again; `append` draws only tags without an image (retrying
     * failed ones). Resolves when all its images are settled, with how many were drawn.
     * @param {ChatMessage} message @param {'replace'|'append'} mode
     * @param {(message: ChatMessage, swipeId: number, transform: (t: string) => string|null) => Promise<string>} rewrite
     */
    async regenerate(message, mode, rewrite) {
        const swipeId = message.swipe_id ?? 0;
        for (const job of [...this.jobs]) {
            if (job.message !== message || job.swipeId !== swipeId) continue;
            // Failed jobs are retried; in replace mode everything starts over.
            if (mode === 'replace' || job.status === 'failed') this.drop(job, `manual ${mode}`);
        }
        if (mode === 'replace') await rewrite(message, swipeId, (text) => stripImages(text));
        const text = message.mes ?? '';
        /** @type {Job[]} */
        const started = [];
        parseTags(text).forEach((tag, ordinal) => {
            if (imageAfter(text, tag) || this.findJob(message, swipeId, ordinal, tag.prompt)) return;
            started.push(this.start(message, swipeId, ordinal, tag.prompt));
        });
        await Promise.all(started.map((job) => job.done));
        return started;
    }

    /**
     * Draw one tag again (after its prompt may have been edited): its image is removed first,
     * because insertion leaves a tag that already has an image alone.
     * @param {ChatMessage} message @param {number} ordinal
     * @param {(message: ChatMessage, swipeId: number, transform: (t: string) => string|null) => Promise<string>} rewrite
     */
    async redrawOne(message, ordinal, rewrite) {
        const swipeId = message.swipe_id ?? 0;
        for (const job of [...this.jobs]) {
            if (job.message === message && job.swipeId === swipeId && job.ordinal === ordinal) this.drop(job, 'redrawn');
        }
        await rewrite(message, swipeId, (text) => removeImageAt(text, ordinal));
        const tag = parseTags(message.mes ?? '')[ordinal];
        if (!tag) return null;
        const job = this.start(message, swipeId, ordinal, tag.prompt);
        await job.done;
        return job;
    }
}

/**
 * The text without the image that follows the tag at `ordinal` (unchanged if it has none).
 * @param {string} text @param {number} ordinal
 * @returns {string|null} null when there is nothing to remove
 */
export function removeImageAt(text, ordinal) {
    const tag = parseTags(text)[ordinal];
    const image = tag && imageAfter(text, tag);
    return image ? text.slice(0, tag.end) + text.slice(image.end) : null;
}
