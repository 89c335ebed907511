// @ts-check
/**
 * What is open now: the chat, whether its messages are loaded, and the message whose editor
 * (SillyTavern's pencil) is open. Read fresh on every call: all of it changes under us.
 */
import { ctx } from '../st.js';

/** @typedef {import('../types').ChatMessage} ChatMessage */

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
