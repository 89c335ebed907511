// @ts-check
/**
 * Finished pictures on their way into their message. A picture is written at once when its
 * chat is open and its message free; otherwise (another chat open, the user editing the
 * message, the save not yet through) it is kept as a small record (the image file is already
 * on the server) until its chat is open again, and written then after its own tag, in its
 * own message and swipe. Records live in the extension settings, so they survive a reload.
 * A record goes once its picture is saved, or once its tag or message is gone.
 */
import { ctx } from './st.js';
import { log } from './log.js';
import { identify, locate } from './core/identity.js';
import { placePicture } from './core/delivery.js';
import { parseTags } from './core/parser.js';
import { openChatId, editedIndex, isChatLoaded } from './writer.js';

/** Key of the records in `extensionSettings`, beside the settings (not part of their schema). */
export const HELD_KEY = 'inlineImagesHeld';
/** Records older than this are forgotten: that chat is not coming back. */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;
const MAX_RECORDS = 1000;

/**
 * @typedef {object} HeldPicture
 * @property {string} chatId
 * @property {import('./core/identity.js').MessageIdentity} identity
 * @property {number} swipeId
 * @property {number} ordinal
 * @property {string} prompt
 * @property {string} src
 * @property {string} [replaceSrc]
 * @property {string} [sent] the prompt that went to Image Generation, when it differs
 * @property {number} at when it finished (ms since epoch)
 */

/** @param {any} r @returns {r is HeldPicture} */
function isRecord(r) {
    return r && typeof r === 'object' && typeof r.chatId === 'string' && typeof r.prompt === 'string'
        && typeof r.src === 'string' && Number.isInteger(r.swipeId) && Number.isInteger(r.ordinal)
        && r.identity && typeof r.identity === 'object' && Number.isInteger(r.identity.index)
        && typeof r.identity.sendDate === 'string' && Number.isFinite(r.at)
        && (r.replaceSrc === undefined || typeof r.replaceSrc === 'string')
        && (r.sent === undefined || typeof r.sent === 'string');
}

/**
 * Whether that swipe of the message still holds a tag with this prompt.
 * @param {any} message @param {number} swipeId @param {string} prompt
 */
export function holdsTag(message, swipeId, prompt) {
    const text = (message?.swipe_id ?? 0) === swipeId ? message?.mes : message?.swipes?.[swipeId];
    return typeof text === 'string' && parseTags(text).some((t) => t.prompt === prompt);
}

export class Deliveries {
    /** @param {import('./writer.js').Writer} writer */
    constructor(writer) {
        this.writer = writer;
        /** @type {HeldPicture[]} */
        this.records = [];
        /** Records being written right now (not to be written twice at once). @type {Set<HeldPicture>} */
        this.busy = new Set();
        /** @type {ReturnType<typeof setInterval> | 0} */
        this.editWatch = 0;
    }

    /** Read the records saved before a reload, dropping broken and stale ones. */
    load() {
        const stored = ctx().extensionSettings[HELD_KEY];
        const list = Array.isArray(stored) ? stored : [];
        const now = Date.now();
        this.records = list.filter((r) => isRecord(r) && now - r.at < MAX_AGE_MS).slice(-MAX_RECORDS);
        if (stored !== undefined && this.records.length !== list.length) {
            log.warn(`ignored ${list.length - this.records.length} unreadable or old kept picture(s)`);
            this.persist();
        }
        if (this.records.length) log.info(`${this.records.length} picture(s) kept for chats not open`);
    }

    persist() {
        const c = ctx();
        c.extensionSettings[HELD_KEY] = this.records.map((r) => ({ ...r }));
        c.saveSettingsDebounced();
    }

    /**
     * A picture finished. `message` is the object it was drawn for (possibly of a chat that
     * has since been closed); `index` where it was then.
     * @param {{chatId: string, message: import('./types').ChatMessage, index: number, swipeId: number, ordinal: number, prompt: string, src: string, replaceSrc?: string, sent?: string}} done
     * @returns {Promise<'written'|'held'|'gone'>}
     */
    async deliver(done) {
        const index = ctx().chat.indexOf(done.message);
        /** @type {HeldPicture} */
        const record = {
            chatId: done.chatId, identity: identify(done.message, index >= 0 ? index : done.index, done.swipeId),
            swipeId: done.swipeId, ordinal: done.ordinal, prompt: done.prompt, src: done.src, at: Date.now(),
            ...(done.replaceSrc ? { replaceSrc: done.replaceSrc } : {}),
            ...(done.sent && done.sent !== done.prompt ? { sent: done.sent } : {}),
        };
        this.records.push(record);
        if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
        const outcome = await this.attempt(record, index >= 0 ? done.message : null);
        if (outcome === 'held') this.persist();
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
     * @param {HeldPicture} record @param {import('./types').ChatMessage|null} message the live object, when known
     * @returns {Promise<'written'|'held'|'gone'>}
     */
    async attempt(record, message) {
        if (record.chatId !== openChatId() || !isChatLoaded()) return 'held';
        this.busy.add(record);
        try {
            const chat = ctx().chat;
            let target = message && chat.includes(message) ? message : null;
            if (!target) {
                const at = locate(chat, record.identity, (m) => holdsTag(m, record.swipeId, record.prompt));
                target = at >= 0 ? chat[at] : null;
            }
            if (!target) return this.finish(record, 'gone', 'its message is gone');
            /** @type {string} */
            let placed = 'missing';
            const { status, saved } = await this.writer.rewrite(target, record.swipeId, (text) => {
                const result = placePicture(text, record);
                placed = result.status;
                return result.status === 'inserted' || result.status === 'replaced' ? result.text : null;
            }, { chatId: record.chatId });
            if (status === 'held') {
                if (editedIndex() >= 0) this.watchEditor();
                return 'held';
            }
            if (status === 'gone') return this.finish(record, 'gone', 'its message is gone');
            if (placed === 'missing') return this.finish(record, 'gone', 'its tag is gone');
            // Already there: maybe from an earlier write whose save did not get through, so
            // the record goes only once a save of this chat has.
            const done = placed === 'already' ? this.writer.saver.request(record.chatId) : saved;
            if (!(await done)) return 'held'; // in memory; the save did not get through
            return this.finish(record, 'written', placed);
        } finally {
            this.busy.delete(record);
        }
    }

    /** @param {HeldPicture} record @param {'written'|'gone'} outcome @param {string} why */
    finish(record, outcome, why) {
        const i = this.records.indexOf(record);
        if (i >= 0) {
            this.records.splice(i, 1);
            // Only the records that outlived one attempt were persisted.
            if (ctx().extensionSettings[HELD_KEY]?.length) this.persist();
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
