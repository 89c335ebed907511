// @ts-check
/**
 * The prompt writer's answer. Pure: strings in, plain values out; no SillyTavern, no DOM.
 *
 * The writer is asked for `{"images": [{"quote": "...", "prompt": "...", "shape": "..."}]}`:
 * each prompt with a short quote of the reply it illustrates, and the picture's shape. Models
 * answer in every form, so readWriterAnswer is lenient: JSON with prose or code fences around
 * it, trailing commas, smart quotes, a bare array, other key names, or only "Quote: / Prompt:"
 * lines. placement.js then puts the prompts into the reply.
 */
import { MAX_PROMPT_CHARS } from '../format/tags.js';
import { encodePrompt } from '../format/pictures.js';
import { CONTROL_CHARS } from '../format/text.js';
import { SHAPES, normaliseShape } from '../format/tag-shape.js';

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
                    properties: { quote: { type: 'string' }, prompt: { type: 'string' }, shape: { type: 'string', enum: [...SHAPES] } },
                    required: ['quote', 'prompt', 'shape'],
                    additionalProperties: false,
                },
            },
        },
        required: ['images'],
        additionalProperties: false,
    },
});

/** @typedef {{prompt: string, quote: string, shape?: import('../format/tag-shape.js').Shape | ''}} WriterItem */

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
export function cleanQuote(raw) {
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
 * @param {unknown} value @returns {Array<{prompt: unknown, quote: unknown, shape?: unknown}> | null}
 */
function itemsOf(value) {
    if (Array.isArray(value)) {
        return value.map((v) => (typeof v === 'string' ? { prompt: v, quote: '' }
            : v && typeof v === 'object' ? {
                prompt: /** @type {any} */ (v).prompt ?? /** @type {any} */ (v).image_prompt ?? /** @type {any} */ (v).description ?? /** @type {any} */ (v).image,
                quote: /** @type {any} */ (v).quote ?? /** @type {any} */ (v).after ?? /** @type {any} */ (v).anchor ?? /** @type {any} */ (v).sentence ?? /** @type {any} */ (v).text,
                shape: /** @type {any} */ (v).shape ?? /** @type {any} */ (v).orientation,
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
    /** @type {Array<{prompt: unknown, quote: unknown, shape?: unknown}> | null} */
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
        const shape = normaliseShape(entry.shape);
        items.push({ prompt, quote: cleanQuote(entry.quote), ...(shape ? { shape } : {}) });
    }
    return { items, dropped };
}
