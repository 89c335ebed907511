// @ts-check
/**
 * The jobs: one for each tag to draw, from its start to its picture in the message.
 *
 * Jobs hold the message *object* (not its index or text): an index shifts when an earlier
 * message is deleted, and text goes stale across an await. A job whose message is deleted or
 * regenerated in the open chat is dropped. A job whose chat is closed goes on (the user may
 * have paid for it) and hands its picture to `deliver`, which keeps it until that chat is
 * open again. A failed draw is retried up to `retries` times with a growing delay.
 * A tag drawn by itself (not by the user's choice) at the daily limit gets a held job: it
 * only shows its box, like a failed one, and waits for a click (see held.js, budget.js).
 */
import { parseTags } from '../format/tags.js';
import { imageAfter } from '../format/pictures.js';
import { createLimiter } from './queue.js';
import { identify } from './identity.js';
import { findMessage, recordOf } from './record.js';
import { runJob } from './run.js';
import { rememberHeld } from './held.js';
import { SharedFiles } from './shared-files.js';
import { log } from '../log.js';

/** @typedef {import('../types').Job} Job */
/** @typedef {import('../types').ChatMessage} ChatMessage */
/** @typedef {import('../types').TagState} TagState */
/** @typedef {import('../format/tag-shape.js').Shape} Shape */

/**
 * @typedef {object} JobsDeps
 * @property {() => import('../types').Settings} settings
 * @property {() => string} chatId the open chat
 * @property {(sent: import('../types').Sent, signal: AbortSignal) => Promise<string>} draw resolves to the image URL, rejects with a readable Error
 * @property {(prompt: string, shape: Shape | '') => import('../types').Sent | null} [compose] what to send for a tag's prompt and shape, read in the chat the job starts in
 * @property {(job: Job) => Promise<'written'|'kept'|'gone'>} deliver put a finished picture (job.src) into its message
 * @property {(message: ChatMessage) => void} changed the message's display should refresh
 * @property {(message: ChatMessage) => void} [settled] a job of the message is over (written, kept or dropped)
 * @property {(message: ChatMessage) => boolean} [moving] whether SillyTavern is still writing the message's text
 * @property {(seconds: number) => string} [timedOut] the reason shown for a timed-out image (translated by the caller)
 * @property {(message: ChatMessage) => number} [indexOf] where the message is in the open chat (-1: not there)
 * @property {() => boolean} [loaded] whether the open chat's messages are in memory (not while SillyTavern opens one)
 * @property {(job: Job, error: unknown) => void} [failed] a job failed for good (after its retries)
 * @property {(job: Job) => void} [forgetFailed] a failed job is over (retried, redrawn, its message gone)
 * @property {(retry: number) => number} [retryDelayMs] pause before retry n (tests shorten it)
 * @property {import('../types').BudgetGate} [budget] the daily budget: pictures drawn by themselves wait at its limit
 * @property {(job: Job) => void} [held] a job was held back by the daily limit
 */

export class Jobs {
    /** @param {JobsDeps} deps */
    constructor(deps) {
        this.deps = deps;
        /** @type {Set<Job>} */
        this.jobs = new Set();
        const s = deps.settings();
        this.queue = createLimiter({ maxConcurrent: s.maxConcurrent, minIntervalMs: s.minIntervalMs });
        this.files = new SharedFiles();
        this.nextId = 1;
        /** Retry pauses under way (for the idle check). */
        this.pausing = 0;
    }

    /** Whether no job is pending, waiting or being written (failed and held ones only show their box). */
    get idle() {
        return this.pausing === 0 && [...this.jobs].every((job) => job.status === 'failed' || job.status === 'held');
    }

    applySettings() {
        const s = this.deps.settings();
        this.queue.setOptions({ maxConcurrent: s.maxConcurrent, minIntervalMs: s.minIntervalMs });
    }

    /**
     * The jobs of a message's swipe (the one shown by default).
     * @param {ChatMessage} message @param {number} [swipeId]
     */
    of(message, swipeId = message.swipe_id ?? 0) {
        return [...this.jobs].filter((job) => job.message === message && job.swipeId === swipeId);
    }

    /** @param {ChatMessage} message @param {number} swipeId @param {number} ordinal @param {string} prompt */
    find(message, swipeId, ordinal, prompt) {
        return this.of(message, swipeId).find((job) => job.ordinal === ordinal && job.prompt === prompt) ?? null;
    }

    /** The tag's job, or a new one drawn by itself. @param {ChatMessage} message @param {number} swipeId @param {number} ordinal @param {string} prompt @param {Shape | ''} [shape] */
    ensure(message, swipeId, ordinal, prompt, shape = '') {
        return this.find(message, swipeId, ordinal, prompt) ?? this.start(message, swipeId, ordinal, prompt, { auto: true, shape });
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
     * The message's text is final (a reply ended, was stopped, or arrived whole; the prompt
     * writer placed its tags): start jobs for tags that have none, and write the pictures
     * that finished while the text was still moving.
     * @param {ChatMessage} message
     */
    drawMessage(message) {
        const swipeId = message.swipe_id ?? 0;
        const text = message.mes ?? '';
        parseTags(text).forEach((tag, ordinal) => {
            if (imageAfter(text, tag) || this.overCap(ordinal)) return;
            this.ensure(message, swipeId, ordinal, tag.prompt, tag.shape);
        });
        this.release(message);
    }

    /**
     * The message's text no longer moves: write the pictures that finished while it did.
     * Starts nothing (used alone when the extension was turned off mid-reply).
     * @param {ChatMessage} message
     */
    release(message) {
        for (const job of this.jobs) {
            if (job.message === message && job.status === 'ready') void this.commit(job);
        }
        rememberHeld(this, message);
    }

    /**
     * @param {ChatMessage} message @param {number} swipeId @param {number} ordinal @param {string} prompt
     * @param {{chatId?: string, replaceSrc?: string, redraws?: number, sent?: Job['sent'], auto?: boolean, shape?: Shape | ''}} [opts] a redraw keeps its job's chat and what it sent; auto: drawn by itself, so held at the daily limit
     */
    start(message, swipeId, ordinal, prompt, opts = {}) {
        /** @type {Job} */
        const job = {
            id: this.nextId++, chatId: opts.chatId ?? this.deps.chatId(), message, swipeId, ordinal, prompt,
            identity: identify(message, this.deps.indexOf?.(message) ?? -1, swipeId),
            status: 'pending', controller: new AbortController(), attempt: 1,
            attempts: 1 + (this.deps.settings().retries ?? 0), redraws: opts.redraws ?? 0, redrawsForSwitch: 0,
            ...(opts.replaceSrc ? { replaceSrc: opts.replaceSrc } : {}), ...(opts.auto ? { auto: true } : {}),
        };
        const sent = opts.sent ?? this.deps.compose?.(prompt, opts.shape ?? '');
        if (sent) job.sent = sent;
        this.jobs.add(job);
        log.debug(`job ${job.id}: #${ordinal} "${prompt}"${sent && sent.prompt !== prompt ? ` sent as "${sent.prompt}"` : ''}`);
        this.deps.changed(message);
        job.done = runJob(this, job);
        return job;
    }

    /** @param {Job} job */
    async commit(job) {
        // While the text moves, SillyTavern would overwrite the write: the reply's end commits it.
        if (job.status !== 'ready' || this.deps.moving?.(job.message)) return;
        job.status = 'committed';
        let result;
        try {
            result = await this.deps.deliver(job);
        } catch (error) {
            log.error('could not write the image into the message', error);
            result = 'gone';
        }
        this.jobs.delete(job);
        this.deps.settled?.(job.message);
        if (result === 'gone') log.info(`dropped image for "${job.prompt}": its message or tag is gone`);
    }

    /** A job made elsewhere (a failed one from before a reload) joins the others, with an id of ours. @param {Omit<Job, 'id'>} made */
    adopt(made) {
        const job = /** @type {Job} */ ({ ...made, id: this.nextId++ });
        this.jobs.add(job);
        this.deps.changed(job.message);
    }

    /** @param {Job} job @param {string} why */
    drop(job, why) {
        if (job.status === 'failed' || job.status === 'held') this.deps.forgetFailed?.(job);
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
     * Another chat is open now. Jobs of the chat just opened (it was left while they ran) are
     * pointed at its new message objects; a job whose message is not there any more is
     * dropped. SillyTavern rendered those messages before it said the chat changed, when no
     * job pointed at them yet: the caller refreshes the messages returned, so a failed or
     * pending box shows again.
     * @param {ChatMessage[]} chat
     * @returns {Set<ChatMessage>} the messages jobs now point at
     */
    chatOpened(chat) {
        /** @type {Set<ChatMessage>} */
        const found = new Set();
        const present = new Set(chat);
        const open = this.deps.chatId();
        for (const job of [...this.jobs]) {
            if (job.chatId !== open || present.has(job.message) || job.status === 'committed') continue;
            const message = findMessage(chat, recordOf(job, -1));
            if (!message) {
                this.drop(job, 'its message is not in the reopened chat');
                continue;
            }
            job.message = message;
            job.identity = identify(message, chat.indexOf(message), job.swipeId);
            found.add(message);
        }
        return found;
    }

    /**
     * What the display shows for each tag of the swipe on screen: its job's state ('limit' for
     * a held one), or 'over' for a tag past "Max pictures per reply" that has no job (and no
     * picture: the display shows a picture in the text whatever the state).
     * @param {ChatMessage} message
     * @returns {Map<number, TagState>|null}
     */
    statesFor(message) {
        /** @type {Map<number, TagState>|null} */
        let states = null;
        const cap = this.deps.settings().maxPerReply ?? 0;
        if (cap > 0 && typeof message.mes === 'string' && !message.is_user && !message.is_system) {
            const count = parseTags(message.mes).length;
            for (let ordinal = cap; ordinal < count; ordinal++) (states ??= new Map()).set(ordinal, { status: 'over' });
        }
        for (const job of this.of(message)) {
            const status = job.status === 'committed' ? 'ready' : job.status === 'held' ? 'limit' : job.status;
            if (status !== 'pending' && status !== 'ready' && status !== 'failed' && status !== 'limit') continue;
            (states ??= new Map()).set(job.ordinal, { status, src: job.src, sent: job.sent?.prompt, negative: job.sent?.negative, error: job.error, attempt: job.attempt, attempts: job.attempts });
        }
        return states;
    }
}
