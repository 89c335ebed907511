// @ts-check
/**
 * What the model reads of the history. Our `<img>` markup is display for the reader; sent
 * back it wastes context and teaches the model to write image markup itself. The tags stay,
 * so the model sees where and how it illustrated before and keeps the habit. Pure: strings
 * and plain message objects; no SillyTavern, no DOM.
 */

import { stripImages } from './pictures.js';

/** Texts pruned lately, and what they became: each Send prunes the whole history again. */
const memo = new Map();
/** A bound on the memo: a long chat's illustrated messages, and then some; past it, it starts again. */
const MEMO_LIMIT = 5000;

/**
 * A message text as the model should read it: our images gone, everything else as it was.
 * Remembered: in a chat of thousands of illustrated messages, Send prunes every one of them
 * (the generate interceptor gets the whole history), and all but the newest are the same
 * texts as last time.
 * @param {string} s
 * @returns {string}
 */
export function pruneText(s) {
    if (!/data-iig/i.test(s)) return s;
    let pruned = memo.get(s);
    if (pruned === undefined) {
        pruned = stripImages(s);
        if (memo.size >= MEMO_LIMIT) memo.clear();
        memo.set(s, pruned);
    }
    return pruned;
}

/**
 * Prune a chat-completion prompt in place (the array SillyTavern is about to send).
 * @param {Array<{role: string, content: any}>} messages
 * @returns {number} how many messages changed
 */
export function pruneChatCompletion(messages) {
    if (!Array.isArray(messages)) return 0;
    let changed = 0;
    for (const message of messages) {
        if (!message || typeof message !== 'object') continue;
        const { content } = message;
        if (typeof content === 'string') {
            const pruned = pruneText(content);
            if (pruned !== content) {
                message.content = pruned;
                changed++;
            }
        } else if (Array.isArray(content)) {
            // Multimodal content: only text parts can hold our markup; image parts are the user's.
            let touched = false;
            for (const part of content) {
                if (part?.type !== 'text' || typeof part.text !== 'string') continue;
                const pruned = pruneText(part.text);
                if (pruned !== part.text) {
                    part.text = pruned;
                    touched = true;
                }
            }
            if (touched) changed++;
        }
    }
    return changed;
}

/**
 * SillyTavern continues a message from the text the generate interceptor left, which we
 * pruned, and writes that text plus the new part back. Put our images back into the part
 * that was there before: `current` starts with `pruneText(original)`, so swap that prefix
 * for `original`. Anything else (the user edited it, a different message) stays as it is.
 * @param {string} current the message text after the continue
 * @param {string} original the text before the continue, with images
 * @param {string} [pruned] `pruneText(original)`, when the caller already has it (per streaming tick)
 * @returns {string}
 */
export function restoreContinuedText(current, original, pruned = pruneText(original)) {
    if (current.startsWith(original)) return current;
    if (pruned === original || !current.startsWith(pruned)) return current;
    return original + current.slice(pruned.length);
}
