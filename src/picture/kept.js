// @ts-check
/**
 * Pictures kept for later. A finished picture is written at once when its chat is open and
 * its message free; otherwise (another chat open, the user editing the message, the save not
 * yet through) its record is kept (the image file is already on the server) until its chat is
 * open again, and written then after its own tag, in its own message and swipe. Records live
 * in the extension settings, so they survive a reload. A record goes once its picture is
 * saved, or once its tag or message is gone.
 */
import { ctx } from '../st.js';
import { log } from '../log.js';
import { placePicture } from '../format/pictures.js';
import { findMessage, readRecord, recordOf } from './record.js';
import { editedIndex, isChatLoaded, openChatId } from '../chat/open-chat.js';

/** @typedef {import('../types').PictureRecord & {src: string, at: number}} KeptRecord */
/** @typedef {'written'|'kept'|'gone'} Outcome */

/** Key of the records in `extensionSettings`, beside the settings (the name of an earlier version's). */
const KEPT_KEY = 'inlineImagesHeld';
/** Records older than this are forgotten: that chat is not coming back. */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;
const MAX_RECORDS = 1000;

export class KeptPictures {
    /** @param {import('../chat/write-path.js').WritePath} writePath */
    constructor(writePath) {
        this.writePath = writePath;
        /** @type {KeptRecord[]} */
        this.records = [];
        /** Records being written right now (not to be written twice at once). @type {Set<KeptRecord>} */
        this.busy = new Set();
        /** @type {ReturnType<typeof setInterval> | 0} */
        this.editWatch = 0;
    }

    /** Read the records saved before a reload (and by earlier versions), dropping broken and stale ones. */
    load() {
        const stored = ctx().extensionSettings[KEPT_KEY];
        const list = Array.isArray(stored) ? stored : [];
        const now = Date.now();
        this.records = list.map(readRecord).filter((r) => r !== null && now - r.at < MAX_AGE_MS).slice(-MAX_RECORDS);
        if (stored !== undefined && this.records.length !== list.length) {
            log.warn(`ignored ${list.length - this.records.length} unreadable or old kept picture(s)`);
            this.persist();
        }
        if (this.records.length) log.info(`${this.records.length} picture(s) kept for chats not open`);
    }

    persist() {
        const c = ctx();
        c.extensionSettings[KEPT_KEY] = this.records.map((r) => structuredClone(r));
        c.saveSettingsDebounced();
    }

    /**
     * A job's picture is finished (job.src set); its message may be of a chat closed since.
     * @param {import('../types').Job} job
     * @returns {Promise<Outcome>}
     */
    async deliver(job) {
        const index = ctx().chat.indexOf(job.message);
        const record = /** @type {KeptRecord} */ ({ ...recordOf(job, index), at: Date.now() });
        this.records.push(record);
        if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
        const outcome = await this.attempt(record, index >= 0 ? job.message : null);
        if (outcome === 'kept') this.persist();
        return outcome;
    }

    /** Write every kept picture of the open chat that can be written now. */
    async deliverOpenChat() {
        const chatId = openChatId();
        const mine = this.records.filter((r) => r.chatId === chatId && !this.busy.has(r));
        if (!mine.length) return;
        const outcomes = await Promise.all(mine.map((r) => this.attempt(r, null)));
        log.debug(`kept pictures of this chat: ${outcomes.join(', ')}`);
    }

    /** How many records wait for the chat `chatId` (all chats when omitted). @param {string} [chatId] */
    count(chatId) {
        return chatId === undefined ? this.records.length : this.records.filter((r) => r.chatId === chatId).length;
    }

    /**
     * @param {KeptRecord} record @param {import('../types').ChatMessage|null} message the live object, when known
     * @returns {Promise<Outcome>}
     */
    async attempt(record, message) {
        if (record.chatId !== openChatId() || !isChatLoaded()) return 'kept';
        this.busy.add(record);
        try {
            const chat = ctx().chat;
            const target = message && chat.includes(message) ? message : findMessage(chat, record);
            if (!target) return this.finish(record, 'gone', 'its message is gone');
            /** @type {string} */
            let placed = 'missing';
            const { status, saved } = await this.writePath.rewrite(target, record.swipeId, (text) => {
                const result = placePicture(text, record);
                placed = result.status;
                return result.status === 'inserted' || result.status === 'replaced' ? result.text : null;
            }, { chatId: record.chatId });
            if (status === 'later') {
                if (editedIndex() >= 0) this.watchEditor();
                return 'kept';
            }
            if (status === 'gone') return this.finish(record, 'gone', 'its message is gone');
            if (placed === 'missing') return this.finish(record, 'gone', 'its tag is gone');
            // Already there: maybe from an earlier write whose save did not get through, so
            // the record goes only once a save of this chat has.
            const done = placed === 'already' ? this.writePath.saver.request(record.chatId) : saved;
            if (!(await done)) return 'kept'; // in memory; the save did not get through
            return this.finish(record, 'written', placed);
        } finally {
            this.busy.delete(record);
        }
    }

    /** @param {KeptRecord} record @param {'written'|'gone'} outcome @param {string} why */
    finish(record, outcome, why) {
        const i = this.records.indexOf(record);
        if (i >= 0) {
            this.records.splice(i, 1);
            // Only the records that outlived one attempt were persisted.
            if (ctx().extensionSettings[KEPT_KEY]?.length) this.persist();
        }
        if (outcome === 'gone') log.info(`picture for "${record.prompt}" not written: ${why}`);
        return outcome;
    }

    /** While the user edits a message, look every 300 ms whether the editor closed. */
    watchEditor() {
        if (this.editWatch) return;
        this.editWatch = setInterval(() => {
            if (editedIndex() >= 0) return;
            clearInterval(this.editWatch);
            this.editWatch = 0;
            void this.deliverOpenChat();
        }, 300);
    }

    /** Whether nothing is being written and no watch runs (for the idle check). */
    get idle() {
        return this.busy.size === 0 && !this.editWatch;
    }
}
