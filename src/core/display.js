// @ts-check
/**
 * What the reader sees. Runs inside SillyTavern's message formatter before markdown and
 * DOMPurify, on every render and every streamed token of every visible message, so it only
 * transforms the display string and never the stored message.
 */

import { parseTags, unfinishedTagStart } from './parser.js';
import { escapeAttr, imageAfter, imageMarkup } from './insertion.js';

/** @typedef {{status: 'pending'|'ready'|'failed', src?: string, error?: string}} TagState */

/** @typedef {{pending?: string, failed?: string}} Labels visible words of the placeholders, translated by the caller */

/**
 * The stand-in shown where a tag is, for its job's state.
 * @param {string} prompt @param {TagState | undefined} state @param {Labels} labels
 */
function placeholder(prompt, state, labels) {
    if (!state) return '';
    switch (state.status) {
        case 'ready':
            return state.src ? imageMarkup({ src: state.src, prompt }) : '';
        case 'pending':
            return `<span data-iig-state="pending" title="${escapeAttr(prompt)}">${escapeAttr(labels.pending ?? '')}</span>`;
        case 'failed': {
            const title = state.error ? `${prompt} — ${state.error}` : prompt;
            return `<span data-iig-state="failed" title="${escapeAttr(title)}">${escapeAttr(labels.failed ?? '')}</span>`;
        }
        default:
            return '';
    }
}

/**
 * Tags are never shown (whatever they contain); in their place comes the image already in
 * the text, or the image/placeholder for the tag's job state. A half-streamed tag at the end
 * can be cut off so it never flashes up as raw text.
 * @param {string} mes
 * @param {Map<number, TagState> | null} states by tag ordinal
 * @param {{hideUnfinished: boolean, labels?: Labels}} opts
 * @returns {string}
 */
export function renderForDisplay(mes, states, opts) {
    if (typeof mes !== 'string') return mes;
    if (!/img-prompt/i.test(mes)) {
        // The name not yet complete at the very end (`<im`, `<!--img-pr`) is still a tag being
        // streamed; without this it would flicker as stray text for a token or two.
        if (!opts?.hideUnfinished) return mes;
        // Only the last `<` can start one: a name prefix contains no further `<`.
        const lt = mes.lastIndexOf('<');
        if (lt === -1) return mes;
        return unfinishedTagStart(mes.slice(lt)) === 0 ? mes.slice(0, lt) : mes;
    }
    const cut = opts?.hideUnfinished ? unfinishedTagStart(mes) : -1;
    const limit = cut === -1 ? mes.length : cut;
    let out = '';
    let last = 0;
    const tags = parseTags(mes);
    for (let ordinal = 0; ordinal < tags.length; ordinal++) {
        const tag = tags[ordinal];
        if (tag.end > limit) break;
        out += mes.slice(last, tag.start);
        last = tag.end;
        if (imageAfter(mes, tag)) continue;
        out += placeholder(tag.prompt, states?.get(ordinal), opts?.labels ?? {});
    }
    return out + mes.slice(last, limit);
}
