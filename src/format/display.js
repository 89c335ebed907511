// @ts-check
/**
 * What the reader sees of a message: tags replaced by their pictures or placeholders, broken
 * tags hidden. The shell runs it inside SillyTavern's message formatter before markdown and
 * DOMPurify, on every render and every streamed token of every visible message, so it only
 * transforms the display string and never the stored message. Pure: a string in, a string out;
 * no SillyTavern, no DOM.
 */

import { scanTags, unfinishedTagStart } from './tags.js';
import { imageAfter, imageMarkup } from './pictures.js';
import { escapeAttr } from './html.js';

/** @typedef {import('../types').TagState} TagState */

/**
 * @typedef {{pending?: string, failed?: string, over?: string, limit?: string, attempt?: (attempt: number, attempts: number) => string}} Labels
 * visible words of the placeholders, translated by the caller
 */

/**
 * "drawing…", or which attempt is running once the first one failed.
 * @param {TagState} state @param {Labels} labels
 */
function pendingLabel(state, labels) {
    const pending = labels.pending ?? '';
    if (!state.attempt || state.attempt < 2 || !labels.attempt) return pending;
    return labels.attempt(state.attempt, state.attempts ?? state.attempt);
}

/**
 * The stand-in shown where a tag is, for its job's state.
 * @param {string} prompt @param {TagState | undefined} state @param {Labels} labels
 */
function placeholder(prompt, state, labels) {
    if (!state) return '';
    switch (state.status) {
        case 'ready':
            return state.src ? imageMarkup({ src: state.src, prompt, sent: state.sent, negative: state.negative }) : '';
        case 'pending':
            return `<span data-iig-state="pending" title="${escapeAttr(state.sent || prompt)}">${escapeAttr(pendingLabel(state, labels))}</span>`;
        case 'over':
            return `<span data-iig-state="over" title="${escapeAttr(prompt)}">${escapeAttr(labels.over ?? '')}</span>`;
        case 'limit':
            return `<span data-iig-state="limit" title="${escapeAttr(prompt)}">${escapeAttr(labels.limit ?? '')}</span>`;
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
 * the text, or the image/placeholder for the tag's job state. Broken tags (ones that start like
 * a tag but are not one, see tag-reading.js) are hidden up to where they plainly end and get
 * nothing in their place. A start at the end that is not yet decided can be cut off, so that
 * neither a half-streamed tag nor one about to turn out broken flashes up as raw text.
 * @param {string} mes
 * @param {Map<number, TagState> | null} states by tag ordinal
 * @param {{hideUnfinished: boolean, labels?: Labels}} opts hideUnfinished: the text is still
 *   streaming; without it the text is taken as final and every start is decided
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
    const { tags, malformed, pending } = scanTags(mes, { streaming: Boolean(opts?.hideUnfinished) });
    const labels = opts?.labels ?? {};
    let out = '';
    let last = 0;
    let m = 0;
    /** Hide the broken tags that start before `until`. @param {number} until */
    const skipBroken = (until) => {
        for (; m < malformed.length && malformed[m].start < until; m++) {
            out += mes.slice(last, malformed[m].start);
            last = malformed[m].end;
        }
    };
    for (let ordinal = 0; ordinal < tags.length; ordinal++) {
        const tag = tags[ordinal];
        skipBroken(tag.start);
        out += mes.slice(last, tag.start);
        last = tag.end;
        if (imageAfter(mes, tag)) continue;
        out += placeholder(tag.prompt, states?.get(ordinal), labels);
    }
    skipBroken(Infinity);
    // Streaming, the scan stopped at `pending`: nothing from there on is decided yet.
    return out + mes.slice(last, pending === -1 ? mes.length : pending);
}
