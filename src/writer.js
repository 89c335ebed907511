// @ts-check
/**
 * The one path by which the extension changes a message of the user's chat.
 *
 * Every write: checks that the chat holding the message is the one open, that the message is
 * still in it and that SillyTavern's editor is not open on it; reads the text and writes the
 * new one with nothing awaited in between (so no stale copy is ever written back); re-renders;
 * tells other extensions the way an edit does, re-checking the chat after each await; and
 * saves that chat through ChatSaver, which never delays or reorders SillyTavern's own saves.
 */
import { ctx } from './st.js';

/** @typedef {import('./types').ChatMessage} ChatMessage */
/** @typedef {'written'|'unchanged'|'gone'|'held'} WriteStatus */
/** @typedef {{status: WriteStatus, saved: Promise<boolean>}} WriteResult */

/** The index of the message whose editor (the pencil) is open, or -1. */
export function editedIndex() {
    const box = document.getElementById('curEditTextarea');
    const mes = box?.closest('.mes');
    const id = mes?.getAttribute('mesid');
    return id === null || id === undefined ? -1 : Number(id);
}

/** @param {ChatMessage} message */
export function isBeingEdited(message) {
    const index = editedIndex();
    return index >= 0 && ctx().chat[index] === message;
}

/** Whether the message at `index` is rendered (SillyTavern's updateMessageBlock needs it). @param {number} index */
export function hasBlock(index) {
    return Boolean(document.querySelector(`#chat .mes[mesid="${index}"]`));
}

export const openChatId = () => String(ctx().getCurrentChatId() ?? '');

/** The chat SillyTavern last said it had opened (CHAT_CHANGED), see isChatLoaded. */
let loadedChatId = /** @type {string | null} */ (null);

/** CHAT_CHANGED (and start-up, when a chat is already shown): the open chat is loaded. */
export function markChatLoaded() {
    loadedChatId = openChatId();
}

/**
 * Whether the open chat's messages are in memory. While SillyTavern opens a chat, its id is the
 * new chat's before the messages are loaded (and a reload empties the same chat first): a
 * message looked for then is missing without being gone. Until CHAT_CHANGED, nothing of ours
 * writes, and nothing is given up for a message it cannot find.
 */
export function isChatLoaded() {
    return loadedChatId !== null && loadedChatId === openChatId() && ctx().chat.length > 0;
}

export class Writer {
    /** @param {import('./chat-save.js').ChatSaver} saver */
    constructor(saver) {
        this.saver = saver;
    }

    /**
     * Change a message's text in memory only, synchronously, inside a MESSAGE_RECEIVED
     * listener: SillyTavern renders and saves the message right after its listeners, so an
     * await or a save of ours here would only race with it.
     * @param {ChatMessage} message @param {(text: string) => string|null} transform
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
     * Rewrite one swipe of a message. `transform` gets the text as it is now and returns the
     * new text, or null to leave it. "held" means it could not be written now (another chat
     * is open, or the user is editing the message): the caller keeps the change for later.
     * @param {ChatMessage} message @param {number} swipeId
     * @param {(text: string) => string|null} transform
     * @param {{chatId?: string}} [opts] the chat the message belongs to (default: the open one)
     * @returns {Promise<WriteResult>}
     */
    async rewrite(message, swipeId, transform, opts = {}) {
        const chatId = opts.chatId ?? openChatId();
        const result = (/** @type {WriteStatus} */ status, saved = Promise.resolve(status !== 'held')) => ({ status, saved });
        if (chatId !== openChatId() || !isChatLoaded()) return result('held', Promise.resolve(false));
        const c = ctx();
        const index = c.chat.indexOf(message);
        if (index < 0) return result('gone');
        if (isBeingEdited(message)) return result('held', Promise.resolve(false));
        const current = (message.swipe_id ?? 0) === swipeId;
        const before = current ? message.mes : message.swipes?.[swipeId];
        if (typeof before !== 'string') return result('gone');
        const after = transform(before);
        if (after === null || after === before) return result('unchanged');
        if (current) message.mes = after;
        if (Array.isArray(message.swipes) && swipeId < message.swipes.length) message.swipes[swipeId] = after;
        if (current) {
            if (hasBlock(index)) c.updateMessageBlock(index, message);
            const still = () => openChatId() === chatId && ctx().chat.includes(message);
            const { eventSource, eventTypes } = c;
            await eventSource.emit(eventTypes.MESSAGE_EDITED, ctx().chat.indexOf(message));
            if (still()) await eventSource.emit(eventTypes.MESSAGE_UPDATED, ctx().chat.indexOf(message));
            // A listener may have switched the chat: what we wrote went with the old chat's
            // memory, and whether it was saved is unknown. The caller writes it again.
            if (!still()) return result('written', Promise.resolve(false));
        }
        return result('written', this.saver.request(chatId));
    }
}
