// @ts-check
/**
 * Showing a message again after something of ours changed (a job started, failed, finished):
 * its text re-rendered and its header's "drawing n of m" count, each at most once a frame
 * however often it was asked for.
 */
import { ctx } from '../st.js';
import { hasBlock, isBeingEdited } from './open-chat.js';
import { showProgress } from '../ui/progress.js';

/** @typedef {import('../types').ChatMessage} ChatMessage */

/**
 * `fn` for a message at the next frame, once however often it was asked for meanwhile.
 * @param {(message: ChatMessage) => void} fn
 */
function perFrame(fn) {
    /** @type {Set<ChatMessage>} */
    const due = new Set();
    return (/** @type {ChatMessage} */ message) => {
        if (due.has(message)) return;
        due.add(message);
        requestAnimationFrame(() => {
            due.delete(message);
            fn(message);
        });
    };
}

/**
 * @param {(message: ChatMessage) => Map<number, {status: string}> | null} statesFor the jobs' states of a message
 * @returns {{refresh: (message: ChatMessage) => void, progress: (message: ChatMessage) => void}}
 *   refresh: the text and the count; progress: the count only (a job of the message is over)
 */
export function createRefresh(statesFor) {
    const showCount = (/** @type {ChatMessage} */ message) => {
        const index = ctx().chat.indexOf(message);
        if (index >= 0) showProgress(index, message.mes ?? '', statesFor(message));
    };
    const refresh = perFrame((message) => {
        const c = ctx();
        const index = c.chat.indexOf(message);
        // A re-render would replace the open editor and lose what the user is typing.
        // A message not on screen (not rendered yet, or above "show more") has no block:
        // SillyTavern's updateMessageBlock would throw on it; it renders when shown.
        if (index >= 0 && !isBeingEdited(message) && hasBlock(index)) c.updateMessageBlock(index, message);
        showCount(message);
    });
    return { refresh, progress: perFrame(showCount) };
}
