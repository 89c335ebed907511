// @ts-check
/**
 * The prompt writer's answer, and where its prompts go in a reply. Pure: strings in, strings and
 * plain values out; no SillyTavern, no DOM.
 *
 * The writer is asked for `{"images": [{"quote": "...", "prompt": "..."}]}`: each prompt with a
 * short quote of the reply it illustrates. Models answer in every shape, so readWriterAnswer is
 * lenient: JSON with prose or code fences around it, trailing commas, smart quotes, a bare
 * array, other key names, or only "Quote: / Prompt:" lines. placeTags then writes one
 * `<img-prompt="...">` per prompt at the end of the sentence (or paragraph) holding its quote,
 * and nothing else: removing the tags it added gives back the reply exactly.
 */
import { MAX_PROMPT_CHARS, parseTags } from '../format/tags.js';
import { encodePrompt } from '../format/pictures.js';
import { CONTROL_CHARS } from '../format/text.js';

/** At most this much of an answer is read. */
const MAX_ANSWER_CHARS = 50_000;
/** A quote longer than this is cut to its start (it only has to find the place). */
const MAX_QUOTE_CHARS = 300;

/** The structured-output schema the writer's request asks for, where the API offers it. */
export const WRITER_SCHEMA = Object.freeze({
    name: 'image_prompts',
    strict: true,
    value: {
        type: 'object',
        properties: {
            images: {
                type: 'array',
                items: {
                    type: 'object',
                    properties: { quote: { type: 'string' }, prompt: { type: 'string' } },
                    required: ['quote', 'prompt'],
                    additionalProperties: false,
                },
            },
        },
        required: ['images'],
        additionalProperties: false,
    },
});

/** @typedef {{prompt: string, quote: string}} WriterItem */

/**
 * A prompt as a tag can hold it: one line, no markup, `"` made `'`, bounded so that its
 * encoded form fits a tag. '' when nothing is left.
 * @param {unknown} raw
 */
export function cleanPrompt(raw) {
    let text = String(raw ?? '').replace(/<[^>]{0,300}>/g, ' ').replace(CONTROL_CHARS, ' ').replace(/["“”„]/g, "'").replace(/\s+/g, ' ').trim();
    if (!/[\p{L}\p{N}]/u.test(text)) return '';
    while (encodePrompt(text).length > MAX_PROMPT_CHARS) text = text.slice(0, Math.floor(text.length * 0.9)).trim();
    return text;
}

/** @param {unknown} raw */
function cleanQuote(raw) {
    return String(raw ?? '').replace(CONTROL_CHARS, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_QUOTE_CHARS);
}

/**
 * The balanced JSON-looking spans of a text (outside strings), longest first.
 * @param {string} text @returns {string[]}
 */
function jsonSpans(text) {
    /** @type {string[]} */
    const spans = [];
    const n = text.length;
    for (let start = 0; start < n && spans.length < 20; start++) {
        const open = text[start];
        if (open !== '{' && open !== '[') continue;
        /** @type {string[]} */
        const stack = [];
        let inString = false;
        let end = -1;
        for (let i = start; i < n; i++) {
            const c = text[i];
            if (inString) {
                if (c === '\\') i++;
                else if (c === '"') inString = false;
                continue;
            }
            if (c === '"') inString = true;
            else if (c === '{' || c === '[') stack.push(c === '{' ? '}' : ']');
            else if (c === '}' || c === ']') {
                if (stack.pop() !== c) break;
                if (!stack.length) { end = i + 1; break; }
            }
        }
        if (end > 0) {
            spans.push(text.slice(start, end));
            start = end - 1;
        }
    }
    return spans.sort((a, b) => b.length - a.length);
}

/** @param {string} text @returns {unknown} */
function tryJson(text) {
    for (const candidate of [text, text.replace(/[“”]/g, '"').replace(/,\s*([}\]])/g, '$1')]) {
        try {
            return JSON.parse(candidate);
        } catch {
            // try the next repair
        }
    }
    return undefined;
}

/**
 * Items from a parsed value: an array of objects (or strings), or an object holding one.
 * @param {unknown} value @returns {Array<{prompt: unknown, quote: unknown}> | null}
 */
function itemsOf(value) {
    if (Array.isArray(value)) {
        return value.map((v) => (typeof v === 'string' ? { prompt: v, quote: '' }
            : v && typeof v === 'object' ? {
                prompt: /** @type {any} */ (v).prompt ?? /** @type {any} */ (v).image_prompt ?? /** @type {any} */ (v).description ?? /** @type {any} */ (v).image,
                quote: /** @type {any} */ (v).quote ?? /** @type {any} */ (v).after ?? /** @type {any} */ (v).anchor ?? /** @type {any} */ (v).sentence ?? /** @type {any} */ (v).text,
            } : { prompt: '', quote: '' }));
    }
    if (value && typeof value === 'object') {
        for (const key of ['images', 'prompts', 'items', 'pictures', 'illustrations', 'result']) {
            const inner = /** @type {any} */ (value)[key];
            if (Array.isArray(inner)) return itemsOf(inner);
        }
        if ('prompt' in value) return itemsOf([value]);
    }
    return null;
}

/** "Quote: ..." / "Prompt: ..." lines, for an answer with no usable JSON. @param {string} text */
function lineItems(text) {
    /** @type {Array<{prompt: string, quote: string}>} */
    const items = [];
    let quote = '';
    for (const line of text.split(/\r?\n/)) {
        const m = line.match(/^\s*(?:[-*\d.)]+\s*)?\**\s*(quote|after|prompt|image prompt|image)\s*\**\s*[:=]\s*(.*)$/i);
        if (!m) continue;
        const value = m[2].trim().replace(/^["'“‘`]+|["'”’`,]+$/g, '');
        if (/^(quote|after)$/i.test(m[1])) quote = value;
        else {
            items.push({ prompt: value, quote });
            quote = '';
        }
    }
    return items;
}

/**
 * The prompts in the writer's answer, cleaned, without duplicates (same prompt ignoring case),
 * at most `max` (0: no limit).
 * @param {unknown} answer a string, or an already parsed structured answer
 * @param {{max?: number}} [options]
 * @returns {{items: WriterItem[], dropped: number}} dropped: entries that were unusable, repeated or over the limit
 */
export function readWriterAnswer(answer, { max = 0 } = {}) {
    /** @type {Array<{prompt: unknown, quote: unknown}> | null} */
    let raw = typeof answer === 'string' ? null : itemsOf(answer);
    if (typeof answer === 'string') {
        const text = answer.slice(0, MAX_ANSWER_CHARS).replace(/```[a-z]*\s*/gi, '');
        raw = itemsOf(tryJson(text.trim()));
        for (const span of raw ? [] : jsonSpans(text)) {
            raw = itemsOf(tryJson(span));
            if (raw) break;
        }
        if (!raw) raw = lineItems(text);
    }
    /** @type {WriterItem[]} */
    const items = [];
    const seen = new Set();
    let dropped = 0;
    for (const entry of raw ?? []) {
        const prompt = cleanPrompt(entry.prompt);
        const key = prompt.toLowerCase();
        if (!prompt || seen.has(key) || (max > 0 && items.length >= max)) {
            dropped++;
            continue;
        }
        seen.add(key);
        items.push({ prompt, quote: cleanQuote(entry.quote) });
    }
    return { items, dropped };
}

// -- placement -------------------------------------------------------------------------------

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
    /** @type {Array<{prompt: string, at: number, how: 'quote' | 'fallback', order: number}>} */
    const placed = [];
    let previous = 0;
    items.forEach((item, order) => {
        const prompt = cleanPrompt(item.prompt);
        if (!prompt) return;
        const end = findQuote(text, cleanQuote(item.quote), previous);
        const at = end >= 0 ? tagPoint(text, end, skip) : paragraphEnd(text, previous, skip);
        placed.push({ prompt, at, how: end >= 0 ? 'quote' : 'fallback', order });
        previous = Math.max(previous, at);
    });
    // Splice from the end; tags at one place keep the items' order.
    const sorted = [...placed].sort((a, b) => b.at - a.at || b.order - a.order);
    let out = text;
    for (const p of sorted) out = out.slice(0, p.at) + `<img-prompt="${encodePrompt(p.prompt)}">` + out.slice(p.at);
    return { text: out, placed: placed.map(({ prompt, at, how }) => ({ prompt, at, how })) };
}
