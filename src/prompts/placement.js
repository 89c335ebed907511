// @ts-check
/**
 * Where the prompt writer's prompts go in a reply. Pure: strings in, strings and plain values
 * out; no SillyTavern, no DOM.
 *
 * placeTags writes one `<img-prompt="...">` per prompt (writer-answer.js reads them) at the end
 * of the sentence (or paragraph) holding its quote, and nothing else: removing the tags it added
 * gives back the reply exactly.
 */
import { parseTags } from '../format/tags.js';
import { encodePrompt } from '../format/pictures.js';
import { shapeAttribute } from '../format/tag-shape.js';
import { cleanPrompt, cleanQuote } from './writer-answer.js';

/** @typedef {import('./writer-answer.js').WriterItem} WriterItem */

/**
 * Spans where a tag must never go: code fences and inline code, HTML tags and comments,
 * reasoning blocks, and tags already there. Sorted, not overlapping.
 * @param {string} text @returns {Array<[number, number]>}
 */
function forbiddenSpans(text) {
    /** @type {Array<[number, number]>} */
    const spans = [];
    const add = (/** @type {RegExp} */ re) => {
        for (const m of text.matchAll(re)) spans.push([m.index ?? 0, (m.index ?? 0) + m[0].length]);
    };
    add(/```[\s\S]*?(?:```|$)/g);
    add(/<(think|thinking|reasoning)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi);
    add(/`[^`\n]+`/g);
    add(/<!--[\s\S]*?(?:-->|$)/g);
    add(/<\/?[a-z][^>]*>/gi);
    for (const tag of parseTags(text)) spans.push([tag.start, tag.end]);
    spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    /** @type {Array<[number, number]>} */
    const merged = [];
    for (const [s, e] of spans) {
        const last = merged[merged.length - 1];
        if (last && s < last[1]) last[1] = Math.max(last[1], e);
        else merged.push([s, e]);
    }
    return merged;
}

/**
 * For each position, where the forbidden span covering it ends (0 where none does): one pass,
 * so finding a place stays linear in the text.
 * @param {number} length @param {Array<[number, number]>} spans
 */
function skipTable(length, spans) {
    const skip = new Int32Array(length + 1);
    for (const [s, e] of spans) skip.fill(e, s, Math.min(e, length));
    return skip;
}

/**
 * The text folded for loose matching (lower case, one space for any whitespace run, one kind
 * of quote and dash) with, for each folded character, where it came from.
 * @param {string} text @returns {{folded: string, from: number[]}}
 */
function fold(text) {
    let folded = '';
    /** @type {number[]} */
    const from = [];
    let space = false;
    for (let i = 0; i < text.length; i++) {
        let c = text[i];
        if (/\s/.test(c)) {
            if (space || !folded) continue;
            space = true;
            c = ' ';
        } else {
            space = false;
            c = c.toLowerCase().replace(/[“”„«»″]/, '"').replace(/[‘’‚‹›′`]/, "'").replace(/[–—]/, '-').replace('…', '.');
        }
        folded += c;
        from.push(i);
    }
    return { folded, from };
}

/**
 * Where the quote ends in the text, or -1: exactly first, then loosely (case, whitespace,
 * quote and dash styles, trailing punctuation), searching from `from`, then from the start.
 * @param {string} text @param {string} quote @param {number} from
 */
export function findQuote(text, quote, from = 0) {
    if (!quote) return -1;
    for (const start of [from, 0]) {
        const at = text.indexOf(quote, start);
        if (at >= 0) return at + quote.length;
    }
    const { folded, from: map } = fold(text);
    const q = fold(quote).folded.trim().replace(/[\s.,;:!?'"-]+$/, '');
    if (q.length < 3) return -1;
    const foldedFrom = map.findIndex((i) => i >= from);
    for (const start of [Math.max(0, foldedFrom), 0]) {
        const at = folded.indexOf(q, start);
        if (at >= 0) return map[at + q.length - 1] + 1;
    }
    return -1;
}

const SENTENCE_END = /[.!?…。！？]/;
const CLOSERS = /["'”’»)\]*_]/;

/**
 * Where a tag goes for a quote ending at `end`: right after the end of that sentence (its
 * punctuation and closing quotes or brackets), or at the end of the paragraph when it comes
 * first, or the end of the text. Never inside a forbidden span (it moves past it) or a word.
 * @param {string} text @param {number} end @param {Int32Array} skip skipTable of the text's forbidden spans
 */
function tagPoint(text, end, skip) {
    let i = end;
    // A quote that ends inside a span (a tag, code) continues after it.
    while (i < text.length) {
        if (skip[i] > i) {
            i = skip[i];
            continue;
        }
        const c = text[i];
        if (c === '\n') return i;
        if (SENTENCE_END.test(c)) {
            let j = i + 1;
            while (j < text.length && (SENTENCE_END.test(text[j]) || CLOSERS.test(text[j]))) j++;
            // "3.5" or "e.g." inside a sentence: a sentence ends before a space or the end.
            if (j >= text.length || /\s/.test(text[j])) return j;
        }
        i++;
    }
    return text.length;
}

/** The next paragraph end at or after `from` (outside forbidden spans), else the end. @param {string} text @param {number} from @param {Int32Array} skip */
function paragraphEnd(text, from, skip) {
    let i = Math.max(0, from);
    for (;;) {
        const at = text.indexOf('\n', i);
        if (at < 0) return text.length;
        if (!(skip[at] > at)) return at;
        i = skip[at];
    }
}

/**
 * Write a tag for each item into the reply: after the sentence holding its quote, or, when the
 * quote is not in the text, at the next paragraph end after the previous tag (never lost).
 * Only the tags are added: removing them gives back `text` exactly.
 * @param {string} text @param {ReadonlyArray<WriterItem>} items
 * @returns {{text: string, placed: Array<{prompt: string, at: number, how: 'quote' | 'fallback'}>}}
 *   `at` is the position in the original text
 */
export function placeTags(text, items) {
    const skip = skipTable(text.length, forbiddenSpans(text));
    /** @type {Array<{prompt: string, shape: string, at: number, how: 'quote' | 'fallback', order: number}>} */
    const placed = [];
    let previous = 0;
    items.forEach((item, order) => {
        const prompt = cleanPrompt(item.prompt);
        if (!prompt) return;
        const end = findQuote(text, cleanQuote(item.quote), previous);
        const at = end >= 0 ? tagPoint(text, end, skip) : paragraphEnd(text, previous, skip);
        placed.push({ prompt, shape: shapeAttribute(item.shape), at, how: end >= 0 ? 'quote' : 'fallback', order });
        previous = Math.max(previous, at);
    });
    // Splice from the end; tags at one place keep the items' order.
    const sorted = [...placed].sort((a, b) => b.at - a.at || b.order - a.order);
    let out = text;
    for (const p of sorted) out = out.slice(0, p.at) + `<img-prompt="${encodePrompt(p.prompt)}"${p.shape}>` + out.slice(p.at);
    return { text: out, placed: placed.map(({ prompt, at, how }) => ({ prompt, at, how })) };
}
