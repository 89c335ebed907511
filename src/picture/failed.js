// @ts-check
/**
 * Pictures that failed for good, remembered across a reload. A failed job lives in memory and
 * shows its box (the reason on hover, a click draws it again); a small record of it (the
 * picture's record, the reason, the attempts made) is kept in the extension settings, so after
 * a reload the box shows again on its tag and a click still draws it. A record goes once its
 * tag is drawn, retried, or its message is gone. A picture held back by the daily limit (a held
 * job, see budget.js) is remembered the same way, marked `held`: its box comes back as such.
 */
import { ctx } from '../st.js';
import { log } from '../log.js';
import { parseTags } from '../format/tags.js';
import { imageAfter } from '../format/pictures.js';
import { identify } from './identity.js';
import { findMessage, readRecord, recordOf } from './record.js';
import { isChatLoaded, openChatId } from '../chat/open-chat.js';

/** @typedef {import('../types').Job} Job */
/** @typedef {import('../types').ChatMessage} ChatMessage */
/** @typedef {import('../types').PictureRecord & {at: number, failure: {error: string, attempts: number, held?: true}}} FailedRecord */

const FAILED_KEY = 'inlineImagesFailed';
/** Records older than this are forgotten: that chat is not coming back. */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;
const MAX_RECORDS = 200;

/** @param {any} raw @returns {FailedRecord | null} */
function readFailed(raw) {
    const failure = raw?.failure;
    if (!failure || typeof failure.error !== 'string' || !Number.isInteger(failure.attempts) || failure.attempts < 1) return null;
    const record = readRecord({ ...raw, src: '' });
    if (!record) return null;
    const { src: _none, ...rest } = record;
    return { ...rest, failure: { error: failure.error, attempts: failure.attempts, ...(failure.held === true ? { held: true } : {}) } };
}

/** The same tag of the same message? @param {import('../types').PictureRecord} a @param {import('../types').PictureRecord} b */
const sameTag = (a, b) => a.chatId === b.chatId && a.swipeId === b.swipeId && a.ordinal === b.ordinal && a.prompt === b.prompt
    && a.identity.sendDate === b.identity.sendDate && a.identity.name === b.identity.name;

/**
 * The failed job a record stands for, on the message found for it: it only shows its box.
 * @param {FailedRecord} record @param {ChatMessage} message @param {number} index
 * @returns {Omit<Job, 'id'>}
 */
function restoredJob(record, message, index) {
    const { failure } = record;
    return {
        chatId: record.chatId, message, swipeId: record.swipeId, ordinal: record.ordinal, prompt: record.prompt,
        identity: identify(message, index, record.swipeId), ...(record.sent ? { sent: record.sent } : {}),
        status: failure.held ? 'held' : 'failed', error: failure.error, attempt: failure.attempts, attempts: failure.attempts,
        redraws: 0, redrawsForSwitch: 0, controller: new AbortController(), done: Promise.resolve(),
    };
}

export class FailedPictures {
    constructor() {
        /** @type {FailedRecord[]} */
        this.records = [];
    }

    /** Read the records saved before a reload, dropping broken and stale ones. */
    load() {
        const stored = ctx().extensionSettings[FAILED_KEY];
        const list = Array.isArray(stored) ? stored : [];
        const now = Date.now();
        this.records = list.map(readFailed).filter((r) => r !== null && now - r.at < MAX_AGE_MS).slice(-MAX_RECORDS);
        if (stored !== undefined && this.records.length !== list.length) this.persist();
    }

    persist() {
        const c = ctx();
        c.extensionSettings[FAILED_KEY] = this.records.map((r) => structuredClone(r));
        c.saveSettingsDebounced();
    }

    /** @param {Job} job its record as it is now (a reply gets its final send date when it ends) */
    recordOf(job) {
        return recordOf(job, ctx().chat.indexOf(job.message));
    }

    /** A job failed for good, or was held back by the daily limit: remember it. @param {Job} job */
    remember(job) {
        const record = this.recordOf(job);
        this.records = this.records.filter((r) => !sameTag(r, record));
        const { src: _none, ...rest } = record;
        const held = job.status === 'held' ? { held: /** @type {const} */ (true) } : {};
        this.records.push({ ...rest, at: Date.now(), failure: { error: job.error ?? '', attempts: job.attempt, ...held } });
        if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
        this.persist();
    }

    /** A failed or held job is over (retried, redrawn, its message gone): forget it. @param {Job} job */
    forget(job) {
        const record = this.recordOf(job);
        const before = this.records.length;
        this.records = this.records.filter((r) => !sameTag(r, record));
        if (this.records.length !== before) this.persist();
    }

    /**
     * The open chat is loaded: the failed jobs it had before a reload come back, on its
     * messages, unless the tag was drawn meanwhile or is gone.
     * @param {import('./jobs.js').Jobs} jobs
     * @returns {ChatMessage[]} the messages that show a failed box again (to refresh)
     */
    restore(jobs) {
        const chatId = openChatId();
        if (!isChatLoaded() || !this.records.some((r) => r.chatId === chatId)) return [];
        const chat = ctx().chat;
        /** @type {ChatMessage[]} */
        const shown = [];
        for (const record of this.records.filter((r) => r.chatId === chatId)) {
            const message = findMessage(chat, record);
            const text = message && (message.swipe_id ?? 0) === record.swipeId ? message.mes : message?.swipes?.[record.swipeId];
            const tag = typeof text === 'string' ? parseTags(text)[record.ordinal] : undefined;
            // Gone, edited, or drawn meanwhile (Generate missing images after a reload): no box.
            if (!message || tag?.prompt !== record.prompt || imageAfter(/** @type {string} */ (text), tag)) {
                this.records.splice(this.records.indexOf(record), 1);
                this.persist();
                continue;
            }
            if (jobs.find(message, record.swipeId, record.ordinal, record.prompt)) continue;
            jobs.adopt(restoredJob(record, message, chat.indexOf(message)));
            shown.push(message);
        }
        if (shown.length) log.info(`${shown.length} message(s) show the failed or held pictures they had before the reload`);
        return shown;
    }
}
