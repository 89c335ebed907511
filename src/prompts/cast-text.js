// @ts-check
/**
 * What the user types about the cast (names, aliases, looks, the chat style) made into bounded
 * single lines, and the Describe request that asks the chat model for a look, with its answer
 * cleaned the same way. Pure: strings and plain objects in, strings out; no SillyTavern, no DOM.
 *
 * All of it is user (or model) text: nothing here builds a RegExp from it, and every pass is
 * linear.
 */
import { CONTROL_CHARS } from '../format/text.js';

/** @typedef {import('./cast.js').PromptStyle} PromptStyle */

export const MAX_ALIASES = 10;
export const MAX_ALIAS_CHARS = 60;
export const MAX_NAME_CHARS = 80;
export const MAX_APPEARANCE_CHARS = 400;
/** A character's "avoid" text (what their pictures must not show): bounded like a look. */
export const MAX_AVOID_CHARS = 400;
const MAX_CHAT_STYLE_CHARS = 300;
/** At most this much of a card's text goes into the Describe request. */
const MAX_DESCRIBE_SOURCE_CHARS = 6000;

// A first word that is an article or honorific would match half the prompts ("The", "Dr").
const NOT_A_FIRST_NAME = new Set(['a', 'an', 'the', 'mr', 'mrs', 'ms', 'mx', 'dr', 'sir', 'dame', 'lady', 'lord', 'miss', 'master', 'madam', 'prof', 'st', 'saint']);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LINE_BREAK = /\r\n|[\r\n\v\f\u0085\u2028\u2029]/;
const HAS_WORD = /[\p{L}\p{N}]/u;

/** One line of user text: no controls, single spaces, trimmed. @param {unknown} text */
function cleanLine(text) {
    return String(text ?? '').replace(LONE_SURROGATE, '').replace(CONTROL_CHARS, ' ').replace(/\s+/gu, ' ').trim();
}

/**
 * Cut to at most max characters at the last ", " that fits, else the last space, else a
 * code point; trailing separators go.
 * @param {string} text @param {number} max
 */
function clip(text, max) {
    if (text.length <= max) return text;
    let cut = text.slice(0, max + 1);
    const at = cut.lastIndexOf(', ') > 0 ? cut.lastIndexOf(', ') : cut.lastIndexOf(' ');
    // A hard cut must not leave half of a surrogate pair behind.
    cut = at > 0 ? cut.slice(0, at) : text.slice(0, max).replace(/[\uD800-\uDBFF]$/, '');
    return cut.replace(/[\s,;:]+$/u, '');
}

/**
 * Appearance or chat-style text as one line: each line of the input cleaned, lines joined with
 * ", " (just a space after one that ends in punctuation), bounded at a comma or word boundary.
 * @param {unknown} text @param {number} [max]
 */
export function normaliseAppearance(text, max = MAX_APPEARANCE_CHARS) {
    let out = '';
    for (const raw of String(text ?? '').split(LINE_BREAK)) {
        const line = cleanLine(raw);
        if (!line) continue;
        out += !out ? line : /[,;:.!?…。、，！？]$/u.test(out) ? ` ${line}` : `, ${line}`;
    }
    return clip(out.replace(/[\s,;]+$/u, ''), max);
}

/** The chat's picture style, like a look but shorter: it goes into every prompt. @param {unknown} text */
export function normaliseChatStyle(text) {
    return normaliseAppearance(text, MAX_CHAT_STYLE_CHARS);
}

/** A character's avoid text: negative-prompt words, one bounded line. @param {unknown} text */
export function normaliseAvoid(text) {
    return normaliseAppearance(text, MAX_AVOID_CHARS);
}

/** A name as the cast block and the prose clauses show it. @param {unknown} name */
export function cleanName(name) {
    return clip(cleanLine(name), MAX_NAME_CHARS);
}

/**
 * The matching form of any text: NFKC, lower case (locale-free; final sigma folded), one kind
 * of apostrophe, single spaces. Only compared, never shown.
 * @param {string} text
 */
export function fold(text) {
    return cleanLine(String(text ?? '').normalize('NFKC')).toLowerCase().replace(/ς/g, 'σ').replace(/[\u2018\u2019\u02bc]/g, "'");
}

/**
 * Aliases from the user's text (comma, semicolon or line separated, CJK commas too) or a list:
 * each cleaned; those longer than MAX_ALIAS_CHARS or without a letter or digit dropped (they
 * are not names, and "-" would match everywhere); duplicates ignoring case dropped; the first
 * MAX_ALIASES kept.
 * @param {unknown} input @returns {string[]}
 */
export function normaliseAliases(input) {
    const items = Array.isArray(input) ? input : typeof input === 'string' ? input.split(/[,;\r\n，、；]/) : [];
    /** @type {string[]} */
    const out = [];
    const seen = new Set();
    for (const item of items) {
        const alias = cleanLine(item);
        if (!alias || alias.length > MAX_ALIAS_CHARS || !HAS_WORD.test(alias) || seen.has(fold(alias))) continue;
        seen.add(fold(alias));
        out.push(alias);
        if (out.length === MAX_ALIASES) break;
    }
    return out;
}

/**
 * The full name and, when there is more than one word, the first word, unless it is an article
 * or honorific ("The", "Dr.") or a single letter.
 * 'Mara Quinn' → ['Mara Quinn', 'Mara']; 'The Narrator' → ['The Narrator'].
 * @param {unknown} name @returns {string[]}
 */
export function defaultAliases(name) {
    const full = cleanLine(name);
    const first = full.split(' ')[0].replace(/[^\p{L}\p{N}\p{M}]+$/u, '');
    const usable = full.includes(' ') && Array.from(first).length > 1 && !NOT_A_FIRST_NAME.has(fold(first));
    return normaliseAliases(usable ? [full, first] : [full]);
}

/**
 * What a card's `data.extensions.inline_images` (or a persona's record) holds, repaired:
 * anything unreadable reads as empty, never throws.
 * @param {unknown} raw @returns {{appearance: string, aliases: string[], avoid: string}}
 */
export function readLook(raw) {
    const value = raw && typeof raw === 'object' && !Array.isArray(raw) ? /** @type {Record<string, unknown>} */ (raw) : {};
    return {
        appearance: typeof value.appearance === 'string' ? normaliseAppearance(value.appearance) : '',
        aliases: normaliseAliases(value.aliases),
        avoid: typeof value.avoid === 'string' ? normaliseAvoid(value.avoid) : '',
    };
}

/**
 * The request that asks the chat model for an appearance, from what the card (or persona) says.
 * @param {{name: string, description?: string, personality?: string, scenario?: string}} source
 * @param {PromptStyle} style
 * @returns {{systemPrompt: string, prompt: string}}
 */
export function describeRequest(source, style) {
    const name = cleanName(source?.name) || 'the character';
    const parts = [['Description', source?.description], ['Personality', source?.personality], ['Scenario', source?.scenario]]
        .map(([label, text]) => [label, String(text ?? '').trim()])
        .filter(([, text]) => text)
        .map(([label, text]) => `${label}:\n${text}`);
    const card = parts.join('\n\n').slice(0, MAX_DESCRIBE_SOURCE_CHARS);
    const form = style === 'tags'
        ? 'Answer with one line of 8 to 25 lowercase Danbooru-style tags separated by commas (for example: long silver hair, green eyes, pointed ears, slender, white robe).'
        : 'Answer with one line of comma-separated descriptive phrases, 15 to 50 words (for example: a slender woman in her twenties, long silver hair, green eyes, pointed ears, flowing white robe).';
    return {
        systemPrompt: 'You write short visual descriptions of characters for an image generator. You answer with the description only: no name, no preamble, no quotes, no explanation.',
        prompt: `${card || '(nothing is written about them)'}\n\nDescribe how ${name} looks, so an image generator draws them the same way every time: hair, eyes, face, build, clothing, distinctive marks. Only what can be seen; no personality, no backstory, no setting, no pose. ${form}`,
    };
}

// An answer that says it will not, or cannot, describe.
const REFUSAL = /^(?:i'?m sorry|i am sorry|sorry\b|i can(?:not|'t)\b|i'?m unable|i am unable|as an ai\b|i won'?t\b|unfortunately\b)/i;

/**
 * The model's answer to describeRequest, as an appearance, or why it is unusable. Markup, code
 * fences, a leading "Appearance:" label, list bullets and surrounding quotes go; what is left is
 * normalised like typed text. Unusable: nothing left, no letter, a refusal, or more a story
 * than a look (a tag of ours in it, or longer than MAX_APPEARANCE_CHARS before it was cut).
 * @param {unknown} answer
 * @returns {{appearance: string, problem?: undefined} | {appearance?: undefined, problem: 'empty' | 'refusal' | 'not-a-look'}}
 */
export function cleanDescription(answer) {
    const raw = typeof answer === 'string' ? answer : '';
    if (/<!--\s*img-prompt|<img-prompt/i.test(raw)) return { problem: 'not-a-look' };
    let text = raw.replace(/```[a-z]*\n?/gi, '').replace(/<[^>]{0,200}>/g, ' ');
    text = text.split(LINE_BREAK).map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s+/u, '')).join('\n').trim();
    text = text.replace(/^(?:\*\*)?(?:appearance|description|tags|look)(?:\*\*)?\s*:\s*/i, '').replace(/\*\*/g, '');
    text = text.replace(/^["'“”‘’`]+|["'“”‘’`]+$/gu, '').trim();
    if (!text || !HAS_WORD.test(text)) return { problem: 'empty' };
    if (REFUSAL.test(text)) return { problem: 'refusal' };
    const one = normaliseAppearance(text, Infinity).replace(/"/g, "'");
    if (one.length > MAX_APPEARANCE_CHARS * 2) return { problem: 'not-a-look' };
    const appearance = normaliseAppearance(one);
    return appearance ? { appearance } : { problem: 'empty' };
}
