// @ts-check
/**
 * The one path by which the extension changes a message of the user's chat.
 *
 * Every write: checks that the chat holding the message is the one open, that the message is
 * still in it and that SillyTavern's editor is not open on it; reads the text and writes the
 * new one with nothing awaited in between (so no stale copy is ever written back); re-renders;
 * tells other extensions the way an edit does, re-checking the chat after each await; and
 * saves that chat through ChatSaver, which never delays or reorders SillyTavern's own saves.
 *
 * Rewrites of one message asked for in the same turn of the event loop (a reply's pictures,
 * all finished when it ends) are made together: their transforms run one after the other on
 * the text, then the message is rendered, announced and saved once.
 */
import { ctx } from '../st.js';
import { hasBlock, isBeingEdited, isChatLoaded, openChatId } from './open-chat.js';

/** @typedef {import('../types').ChatMessage} ChatMessage */
/** @typedef {(text: string) => string|null} Transform the new text, or null to leave it */
/**
 * 'later': it cannot be written now (another chat is open, or the user is editing the
 * message); the caller keeps the change for later.
 * @typedef {'written'|'unchanged'|'gone'|'later'} WriteStatus
 */
/** @typedef {{status: WriteStatus, saved: Promise<boolean>}} WriteResult */
/**
 * Rewrites of one swipe waiting for the end of this turn.
 * @typedef {{message: ChatMessage, swipeId: number, chatId: string, entries: Array<{transform: Transform, done: (result: WriteResult) => void}>}} Batch
 */

export class WritePath {
    /** @param {import('./save.js').ChatSaver} saver */
    constructor(saver) {
        this.saver = saver;
        /** @type {Batch[]} */
        this.batches = [];
    }

    /**
     * Change a message's text in memory only, synchronously, inside a MESSAGE_RECEIVED
     * listener: SillyTavern renders and saves the message right after its listeners, so an
     * await or a save of ours here would only race with it.
     * @param {ChatMessage} message @param {Transform} transform
     * @returns {boolean} whether the text changed
     */
    rewriteBeforeSillyTavernSaves(message, transform) {
        if (!ctx().chat.includes(message) || isBeingEdited(message)) return false;
        const before = message.mes ?? '';
        const after = transform(before);
        if (after === null || after === before) return false;
        const swipeId = message.swipe_id ?? 0;
        if (Array.isArray(message.swipes) && message.swipes[swipeId] === before) message.swipes[swipeId] = after;
        message.mes = after;
        return true;
    }

    /**
     * Rewrite one swipe of a message. `transform` gets the text as it is now (after the
     * transforms asked for before it in this turn).
     * @param {ChatMessage} message @param {number} swipeId @param {Transform} transform
     * @param {{chatId?: string}} [opts] the chat the message belongs to (default: the open one)
     * @returns {Promise<WriteResult>}
     */
    rewrite(message, swipeId, transform, opts = {}) {
        const chatId = opts.chatId ?? openChatId();
        let batch = this.batches.find((b) => b.message === message && b.swipeId === swipeId && b.chatId === chatId);
        if (!batch) {
            const made = { message, swipeId, chatId, entries: [] };
            this.batches.push(made);
            queueMicrotask(() => {
                this.batches.splice(this.batches.indexOf(made), 1);
                void this.write(made);
            });
            batch = made;
        }
        const entries = batch.entries;
        return new Promise((done) => entries.push({ transform, done }));
    }

    /** Make a batch's rewrites: one render, one announcement, one save. @param {Batch} batch */
    async write({ message, swipeId, chatId, entries }) {
        const all = (/** @type {WriteStatus} */ status, saved = Promise.resolve(status !== 'later')) => entries.forEach((e) => e.done({ status, saved }));
        if (chatId !== openChatId() || !isChatLoaded()) return all('later', Promise.resolve(false));
        const c = ctx();
        const index = c.chat.indexOf(message);
        if (index < 0) return all('gone');
        if (isBeingEdited(message)) return all('later', Promise.resolve(false));
        const current = (message.swipe_id ?? 0) === swipeId;
        const before = current ? message.mes : message.swipes?.[swipeId];
        if (typeof before !== 'string') return all('gone');
        let text = before;
        const changed = entries.map(({ transform }) => {
            const after = transform(text);
            if (after === null || after === text) return false;
            text = after;
            return true;
        });
        /** @type {Promise<boolean>} */
        let saved = Promise.resolve(true);
        if (text !== before) saved = this.store(message, swipeId, chatId, text);
        entries.forEach((e, k) => e.done(changed[k] ? { status: 'written', saved } : { status: 'unchanged', saved: Promise.resolve(true) }));
    }

    /**
     * Put the new text in, render it, tell other extensions, save the chat.
     * @param {ChatMessage} message @param {number} swipeId @param {string} chatId @param {string} text
     * @returns {Promise<boolean>} whether a save of that chat got it through
     */
    async store(message, swipeId, chatId, text) {
        const c = ctx();
        const current = (message.swipe_id ?? 0) === swipeId;
        // A save taken from here on holds this text.
        const since = this.saver.mark();
        if (current) message.mes = text;
        if (Array.isArray(message.swipes) && swipeId < message.swipes.length) message.swipes[swipeId] = text;
        if (current) {
            const index = c.chat.indexOf(message);
            if (hasBlock(index)) c.updateMessageBlock(index, message);
            const still = () => openChatId() === chatId && ctx().chat.includes(message);
            const { eventSource, eventTypes } = c;
            await eventSource.emit(eventTypes.MESSAGE_EDITED, ctx().chat.indexOf(message));
            if (still()) await eventSource.emit(eventTypes.MESSAGE_UPDATED, ctx().chat.indexOf(message));
            // A listener may have switched the chat: what we wrote went with the old chat's
            // memory, and whether it was saved is unknown. The caller writes it again.
            if (!still()) return false;
        }
        return this.saver.request(chatId, since);
    }
}
