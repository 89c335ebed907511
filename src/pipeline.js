// @ts-check
/**
 * The illustration pipeline: from tags in a reply to images in the message.
 *
 * Jobs hold the message *object* (not its index or text): an index shifts when an earlier
 * message is deleted, and text goes stale across an await. A job whose message is deleted or
 * regenerated in the open chat is dropped. A job whose chat is closed goes on (the user may
 * have paid for it) and hands its picture to `deliver`, which keeps it until that chat is
 * open again. A failed draw is retried up to `retries` times with a growing delay.
 */
import { parseTags, TagScanner } from './core/parser.js';
import { imageAfter, stripImages } from './core/insertion.js';
import { createLimiter } from './core/limiter.js';
import { log } from './log.js';

/** @typedef {import('./types').Job} Job */
/** @typedef {import('./types').ChatMessage} ChatMessage */
/** @typedef {import('./types').Settings} Settings */

/**
 * @typedef {object} PipelineDeps
 * @property {() => Settings} settings
 * @property {() => string} chatId
 * @property {(prompt: string, signal: AbortSignal, seed?: number | null) => Promise<string>} draw resolves to the image URL, rejects with a readable Error
 * @property {(prompt: string) => {prompt: string, seed: number | null} | null} [compose] what to send for a tag's prompt, read in the chat the job starts in
 * @property {(job: Job) => Promise<'written'|'held'|'gone'|'unchanged'>} commit hand a finished picture (job.src) to its message
 * @property {(message: ChatMessage) => void} changed the message's display should refresh
 * @property {(message: ChatMessage) => void} [settled] a job of the message is over (written, handed on or dropped)
 * @property {(seconds: number) => string} [timedOut] the reason shown for a timed-out image (translated by the caller)
 * @property {(message: ChatMessage) => number} [indexOf] where the message is in the open chat (-1: not there)
 * @property {() => boolean} [loaded] whether the open chat's messages are in memory (not while SillyTavern opens one)
 * @property {(job: Job, error: unknown) => void} [failed] a job failed for good (after its retries)
 * @property {(retry: number) => number} [retryDelayMs] pause before retry n (tests shorten it)
 */

/** Pause before retry n (1-based): 1.5 s, 3 s, 6 s, ... at most 30 s. @param {number} n */
export function retryDelayMs(n) {
    return Math.min(30_000, 1500 * 2 ** (n - 1));
}

/** @param {unknown} reason */
function describeError(reason) {
    return reason instanceof Error ? reason.message : String(reason);
}

/** How often a picture Image Generation discarded on a chat switch is drawn again. */
const MAX_SWITCH_REDRAWS = 3;

/** How often a picture whose file another picture overwrote is drawn again. */
const MAX_REDRAWS = 2;
/**
 * Result paths are remembered this long to spot two pictures saved under one name. Names are
 * the time of the save to the millisecond, so only pictures saved together can share one;
 * a bound in time also keeps jobs (and their messages) of chats long closed from being held.
 */
const KNOWN_PATH_MS = 60_000;
/** And at most this many. */
const MAX_KNOWN_PATHS = 200;

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
        /** Which job each recent result path belongs to, and since when. @type {Map<string, {job: Job, at: number}>} */
        this.paths = new Map();
        /** Retry pauses under way (for the idle check). */
        this.pausing = 0;
    }

    /** Whether no job is pending, waiting or being written (failed ones only show their box). */
    get idle() {
        return this.pausing === 0 && [...this.jobs].every((job) => job.status === 'failed');
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
        for (const tag of fresh) {
            if (!this.overCap(state.base + tag.ordinal)) this.ensureJob(message, state.swipeId, state.base + tag.ordinal, tag.prompt);
        }
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
            if (imageAfter(text, tag) || this.overCap(ordinal)) return;
            this.ensureJob(message, swipeId, ordinal, tag.prompt);
        });
        this.settle(message);
    }

    /**
     * Whether the tag at `ordinal` of a reply is past "Max pictures per reply": it is not
     * drawn by itself (its box offers a click; manual Append draws it).
     * @param {number} ordinal
     */
    overCap(ordinal) {
        const cap = this.deps.settings().maxPerReply ?? 0;
        return cap > 0 && ordinal >= cap;
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

    /**
     * @param {ChatMessage} message @param {number} swipeId @param {number} ordinal @param {string} prompt
     * @param {{chatId?: string, replaceSrc?: string, redraws?: number, sent?: Job['sent']}} [opts] a redraw keeps its job's chat and what it sent
     */
    start(message, swipeId, ordinal, prompt, opts = {}) {
        /** @type {Job} */
        const job = {
            id: this.nextId++, chatId: opts.chatId ?? this.deps.chatId(), message, swipeId, ordinal, prompt,
            index: this.deps.indexOf?.(message) ?? -1,
            status: 'pending', controller: new AbortController(), attempt: 1,
            attempts: 1 + (this.deps.settings().retries ?? 0), redraws: opts.redraws ?? 0, redrawsForSwitch: 0,
            ...(opts.replaceSrc ? { replaceSrc: opts.replaceSrc } : {}),
        };
        const sent = opts.sent ?? this.deps.compose?.(prompt);
        if (sent) job.sent = sent;
        this.jobs.add(job);
        log.debug(`job ${job.id}: #${ordinal} "${prompt}"${sent && sent.prompt !== prompt ? ` sent as "${sent.prompt}"` : ''}`);
        this.deps.changed(message);
        job.done = this.run(job);
        return job;
    }

    /** @param {Job} job */
    async run(job) {
        for (;;) {
            if (!(await this.draw(job))) return;
            job.status = 'ready';
            const redo = this.claimPath(job);
            if (redo === null) break;
            // Its file may hold the other picture, or a mix of both writes: draw it again once
            // the other one's redraw is saved, so the two cannot be saved in one millisecond.
            job.status = 'pending';
            delete job.src;
            job.redraws++;
            job.attempt = 1;
            this.deps.changed(job.message);
            await redo;
            if (/** @type {string} */ (job.status) === 'dropped') return;
            if (!this.mayRetry(job)) return this.drop(job, 'its message is gone or no longer shown');
        }
        this.deps.changed(job.message);
        await this.commit(job);
    }

    /**
     * Draws the job's picture, retrying as the settings say.
     * @param {Job} job @returns {Promise<boolean>} true once job.src is set; false if it failed or was dropped
     */
    async draw(job) {
        for (;;) {
            const failure = await this.attemptDraw(job);
            if (job.status === 'dropped') return false;
            if (failure === null) return true;
            const error = describeError(failure);
            // Image Generation discarded the picture because the chat was switched meanwhile:
            // draw it again at once, without using up an attempt (bounded all the same).
            if (/** @type {any} */ (failure)?.chatChanged === true && job.redrawsForSwitch < MAX_SWITCH_REDRAWS) {
                job.redrawsForSwitch++;
                log.info(`image for "${job.prompt}" was discarded by Image Generation (chat switched); drawing it again`);
                continue;
            }
            // A missing Image Generation extension does not come back by itself.
            const permanent = /** @type {any} */ (failure)?.permanent === true;
            if (permanent || job.attempt >= job.attempts || !this.mayRetry(job)) {
                job.status = 'failed';
                job.error = error;
                log.warn(`image for "${job.prompt}" failed after ${job.attempt} attempt(s): ${error}`);
                this.deps.changed(job.message);
                this.deps.failed?.(job, failure);
                return false;
            }
            log.info(`image for "${job.prompt}" failed (attempt ${job.attempt} of ${job.attempts}): ${error}; retrying`);
            job.error = error;
            // The box says "attempt n of m" from the pause on, so a retry is visible at once.
            job.attempt++;
            this.deps.changed(job.message);
            await this.pause(job, (this.deps.retryDelayMs ?? retryDelayMs)(job.attempt - 1));
            // The job may have been dropped while it paused (status is not narrowed across await).
            if (/** @type {string} */ (job.status) === 'dropped') return false;
            if (!this.mayRetry(job)) {
                this.drop(job, 'its message is gone or no longer shown');
                return false;
            }
        }
    }

    /**
     * One attempt, through the limiter, with its own timeout.
     * @param {Job} job @returns {Promise<unknown>} null on success (job.src set), else the reason
     */
    async attemptDraw(job) {
        const timeoutMs = this.deps.settings().timeoutSeconds * 1000;
        const attempt = new AbortController();
        const stop = () => attempt.abort(job.controller.signal.reason);
        job.controller.signal.addEventListener('abort', stop, { once: true });
        const { signal } = attempt;
        try {
            job.src = await this.limiter.run(() => {
                // The timeout counts from the start of drawing, not from the queue.
                const timer = setTimeout(() => attempt.abort(new Error(this.deps.timedOut?.(timeoutMs / 1000) ?? `timed out after ${timeoutMs / 1000} s`)), timeoutMs);
                // `/sd` passes the signal on to its source, but a source that ignores it must
                // not hold a slot of the limiter (and the job) forever: settle on abort too.
                /** @type {Promise<never>} */
                const aborted = new Promise((_resolve, reject) => {
                    if (signal.aborted) reject(signal.reason);
                    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
                });
                return Promise.race([this.deps.draw(job.sent?.prompt ?? job.prompt, signal, job.sent?.seed ?? null), aborted]).finally(() => clearTimeout(timer));
            }, { signal });
            return null;
        } catch (error) {
            return (signal.aborted ? signal.reason : error) ?? new Error('failed');
        } finally {
            job.controller.signal.removeEventListener('abort', stop);
        }
    }

    /**
     * Whether a failed job may try again: not once its message was deleted or regenerated in
     * the open chat, or its swipe is no longer the one shown. A job of a closed chat goes on.
     * @param {Job} job
     */
    mayRetry(job) {
        if (job.chatId !== this.deps.chatId() || this.deps.loaded?.() === false) return true;
        const index = this.deps.indexOf?.(job.message) ?? 0;
        return index >= 0 && (job.message.swipe_id ?? 0) === job.swipeId;
    }

    /** @param {Job} job @param {number} ms */
    pause(job, ms) {
        this.pausing++;
        return new Promise((resolve) => {
            const done = () => {
                clearTimeout(timer);
                job.controller.signal.removeEventListener('abort', done);
                this.pausing--;
                resolve(undefined);
            };
            const timer = setTimeout(done, ms);
            job.controller.signal.addEventListener('abort', done, { once: true });
        });
    }

    /**
     * SillyTavern names a saved picture after the character and the time to the millisecond,
     * and writes it without waiting for an earlier write of that name: two answers handled in
     * the same millisecond share one file, which then holds one of them or a mix of both. So
     * neither picture can be trusted: the older one is drawn again now, the newer one once
     * that redraw is saved (each at most MAX_REDRAWS times; past that, the path is kept).
     * @param {Job} job a job whose picture just arrived (job.src set)
     * @returns {Promise<unknown>|null} null: the path is the job's; else draw it again once this settles
     */
    claimPath(job) {
        const src = /** @type {string} */ (job.src);
        const owner = this.paths.get(src)?.job;
        this.paths.delete(src);
        if (!owner || owner === job || owner.status === 'dropped') {
            this.remember(src, job);
            return null;
        }
        log.warn(`two pictures were saved as ${src}; drawing "${owner.prompt}" and "${job.prompt}" again`);
        /** @type {Promise<unknown>} */
        let redo = Promise.resolve();
        if (owner.redraws < MAX_REDRAWS) {
            const replaceSrc = owner.status === 'ready' ? undefined : src;
            if (owner.status === 'ready') this.drop(owner, 'its file was overwritten');
            redo = this.start(owner.message, owner.swipeId, owner.ordinal, owner.prompt,
                { chatId: owner.chatId, redraws: owner.redraws + 1, sent: owner.sent, ...(replaceSrc ? { replaceSrc } : {}) }).done ?? redo;
        }
        if (job.redraws >= MAX_REDRAWS) {
            this.remember(src, job);
            return null;
        }
        return redo;
    }

    /** @param {string} src @param {Job} job */
    remember(src, job) {
        const now = Date.now();
        this.paths.set(src, { job, at: now });
        // Oldest first (an entry is deleted before it is set again).
        for (const [path, known] of this.paths) {
            if (this.paths.size <= MAX_KNOWN_PATHS && now - known.at < KNOWN_PATH_MS) break;
            this.paths.delete(path);
        }
    }

    /** @param {Job} job */
    async commit(job) {
        if (job.status !== 'ready' || this.streams.has(job.message)) return; // finished stream commits it
        job.status = 'committed';
        let result;
        try {
            result = await this.deps.commit(job);
        } catch (error) {
            log.error('could not write the image into the message', error);
            result = 'gone';
        }
        this.jobs.delete(job);
        this.deps.settled?.(job.message);
        if (result === 'gone') log.info(`dropped image for "${job.prompt}": its message or tag is gone`);
    }

    /** @param {Job} job @param {string} why */
    drop(job, why) {
        job.status = 'dropped';
        job.controller.abort(new Error(why));
        this.jobs.delete(job);
        this.deps.settled?.(job.message);
        log.debug(`job ${job.id} dropped: ${why}`);
    }

    /**
     * The open chat lost messages (deleted, regenerated): drop its jobs whose message is not
     * in `chat`. Jobs of other chats are not this chat's business.
     * @param {ChatMessage[]} chat @param {string} why
     */
    dropOrphans(chat, why) {
        const present = new Set(chat);
        const open = this.deps.chatId();
        for (const job of [...this.jobs]) {
            if (job.chatId === open && !present.has(job.message) && job.status !== 'committed') this.drop(job, why);
        }
    }

    /**
     * Another chat is open now. Streams of the chat left behind are over: their finished
     * pictures go to `commit` (which keeps them for that chat). Jobs of the chat just opened
     * (it was left while they ran) are pointed at its new message objects, found with
     * `find`; a job whose message is not there any more is dropped.
     * SillyTavern rendered those messages before it said the chat changed, when no job
     * pointed at them yet: the caller refreshes the messages returned, so a failed or
     * pending box shows again.
     * @param {ChatMessage[]} chat @param {(job: Job) => ChatMessage|null} find
     * @returns {Set<ChatMessage>} the messages jobs now point at
     */
    chatOpened(chat, find) {
        /** @type {Set<ChatMessage>} */
        const found = new Set();
        const present = new Set(chat);
        for (const message of [...this.streams.keys()]) {
            if (!present.has(message)) this.settle(message);
        }
        const open = this.deps.chatId();
        for (const job of [...this.jobs]) {
            if (job.chatId !== open || present.has(job.message) || job.status === 'committed') continue;
            const message = find(job);
            if (message) {
                job.message = message;
                job.index = this.deps.indexOf?.(message) ?? job.index;
                found.add(message);
            } else {
                this.drop(job, 'its message is not in the reopened chat');
            }
        }
        return found;
    }

    /**
     * What the display shows for each tag of the swipe on screen: its job's state, or 'over'
     * for a tag past "Max pictures per reply" that has no job (and no picture: the display
     * shows a picture in the text whatever the state).
     * @param {ChatMessage} message
     * @returns {Map<number, {status: 'pending'|'ready'|'failed'|'over', src?: string, sent?: string, error?: string, attempt?: number, attempts?: number}>|null}
     */
    statesFor(message) {
        /** @type {Map<number, any>|null} */
        let states = null;
        const swipeId = message.swipe_id ?? 0;
        const cap = this.deps.settings().maxPerReply ?? 0;
        if (cap > 0 && typeof message.mes === 'string' && !message.is_user && !message.is_system) {
            const count = parseTags(message.mes).length;
            for (let ordinal = cap; ordinal < count; ordinal++) (states ??= new Map()).set(ordinal, { status: 'over' });
        }
        for (const job of this.jobs) {
            if (job.message !== message || job.swipeId !== swipeId) continue;
            const status = job.status === 'committed' ? 'ready' : job.status;
            if (status !== 'pending' && status !== 'ready' && status !== 'failed') continue;
            (states ??= new Map()).set(job.ordinal, { status, src: job.src, sent: job.sent?.prompt, error: job.error, attempt: job.attempt, attempts: job.attempts });
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
     * A click on a failed picture's box: draw that tag again, with fresh retries.
     * @param {ChatMessage} message @param {number} ordinal
     * @returns {Job|null} the new job, or null when the tag is gone or has a picture
     */
    retryFailed(message, ordinal) {
        const swipeId = message.swipe_id ?? 0;
        for (const job of [...this.jobs]) {
            if (job.message === message && job.swipeId === swipeId && job.ordinal === ordinal && job.status === 'failed') this.drop(job, 'retried by hand');
        }
        const text = message.mes ?? '';
        const tag = parseTags(text)[ordinal];
        if (!tag || imageAfter(text, tag) || this.findJob(message, swipeId, ordinal, tag.prompt)) return null;
        return this.start(message, swipeId, ordinal, tag.prompt);
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
