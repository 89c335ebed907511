// @ts-check
/**
 * The cast: which registered characters an image prompt mentions, the prompt that goes to `/sd`
 * with their looks added, and the `{{cast}}` block of the meta-prompt. Pure functions of
 * strings and plain objects; no SillyTavern, no DOM.
 *
 * Aliases, names, appearances and the chat style are user text: nothing here builds a RegExp
 * from them, and every scan is a bounded linear pass (see findMentions).
 */
import { parseTags } from '../format/tags.js';
import { cleanName, defaultAliases, fold, normaliseAliases, normaliseAppearance, normaliseChatStyle } from './cast-text.js';

/**
 * @typedef {object} CastMember
 * @property {string} id
 * @property {string} name the display name (used in prose clauses and the cast block)
 * @property {string[] | string} [aliases] blank or missing: defaultAliases(name)
 * @property {string} [appearance] blank: the character is never added
 */
/** @typedef {'prose' | 'tags'} PromptStyle */
/**
 * @typedef {object} ComposeReport
 * @property {string} prompt what goes to `/sd`
 * @property {string[]} added ids whose appearance was added, in order
 * @property {string | null} shortened the id whose appearance was cut to fit, if any
 * @property {Array<{id: string, reason: 'no-appearance' | 'in-prompt' | 'no-room'}>} skipped
 */

/** Members after this many are ignored by findMentions (unless told otherwise) and castBlock. */
export const MAX_CAST = 32;
/** Only this much of a prompt is scanned for mentions (tag prompts are at most 2000). */
const MAX_SCAN_CHARS = 10_000;
/** Default bound on a composed prompt; below a tag's MAX_PROMPT_CHARS (2000). */
export const DEFAULT_MAX_CHARS = 1500;
export const MAX_CAST_BLOCK_CHARS = 4000;

const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;
// Scripts written without spaces between words: a name there is matched as a substring, and
// their letters never join a neighbouring Latin name into one word ("我和Mara").
const SPACELESS = /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}]$/u;
const SENTENCE_END = /[.!?…。！？]$/u;

/** @param {unknown} style */
function checkStyle(style) {
    if (style !== 'prose' && style !== 'tags') throw new TypeError(`Expected \`style\` to be 'prose' or 'tags', got ${JSON.stringify(style)}`);
}

/** @param {CastMember} member */
function aliasesOf(member) {
    const own = normaliseAliases(member?.aliases);
    return own.length ? own : defaultAliases(member?.name);
}

/** @param {string} s @param {number} i the code point starting at i ('' at the end) */
function charAt(s, i) {
    const cp = s.codePointAt(i);
    return cp === undefined ? '' : String.fromCodePoint(cp);
}

/** @param {string} s @param {number} i the code point ending at i ('' at the start) */
function charBefore(s, i) {
    if (i <= 0) return '';
    const low = s.charCodeAt(i - 1);
    return low >= 0xdc00 && low <= 0xdfff && i >= 2 ? s.slice(i - 2, i) : s[i - 1];
}

/** Whether ch is part of a space-separated word. @param {string} ch */
const joins = (ch) => ch !== '' && WORD_CHAR.test(ch) && !SPACELESS.test(ch);

/**
 * The members the prompt mentions, each once, in order of first mention.
 *
 * A mention is an alias (a member's own, else defaultAliases of its name) found in the prompt
 * ignoring case, spacing and apostrophe kind, whose letters do not run on into a neighbouring
 * word: "Ann" is found in "Ann's" and "(Ann)" but not in "Annual" or "Joanne". Scripts written
 * without spaces (Chinese, Japanese, Korean, Thai...) have no word edges, so "白雪" is found in
 * "白雪が". The prompt is read left to right; where several aliases start at one place the
 * longest that fits wins and the text it covers is not read again, so "Mara Quinn" names only
 * the member with that alias, not also the one called "Mara" or "Quinn".
 *
 * Work is bounded: MAX_SCAN_CHARS of prompt, maxMembers members (MAX_CAST unless the caller
 * adds a lorebook's looks), MAX_ALIASES of MAX_ALIAS_CHARS each; at each position only the
 * aliases starting with that character are tried.
 * @template {CastMember} M
 * @param {string} prompt @param {readonly M[]} cast @param {number} [maxMembers]
 * @returns {M[]}
 */
export function findMentions(prompt, cast, maxMembers = MAX_CAST) {
    if (!Array.isArray(cast) || typeof prompt !== 'string' || !prompt) return [];
    // By first code unit, then by length: at a position, each alias length costs one lookup of
    // one slice, however many aliases there are (a startsWith per alias was 2 s on 10 kB).
    /** @type {Map<string, {lengths: number[], anyEdgeFree: boolean, byLength: Map<number, Map<string, {member: M, startJoins: boolean, endJoins: boolean}>>}>} */
    const table = new Map();
    const ids = new Set();
    for (const member of cast.slice(0, maxMembers)) {
        if (!member || ids.has(member.id)) continue;
        ids.add(member.id);
        for (const alias of aliasesOf(member)) {
            const text = fold(alias);
            if (!text) continue;
            let bucket = table.get(text[0]);
            if (!bucket) table.set(text[0], (bucket = { lengths: [], anyEdgeFree: false, byLength: new Map() }));
            let same = bucket.byLength.get(text.length);
            if (!same) bucket.byLength.set(text.length, (same = new Map()));
            // Two members sharing an alias: the first in the cast has it.
            const startJoins = joins(charAt(text, 0));
            if (!same.has(text)) same.set(text, { member, startJoins, endJoins: joins(charBefore(text, text.length)) });
            bucket.anyEdgeFree ||= !startJoins;
        }
    }
    for (const bucket of table.values()) bucket.lengths = [...bucket.byLength.keys()].sort((a, b) => b - a);

    const text = fold(prompt.slice(0, MAX_SCAN_CHARS));
    const n = text.length;
    // inWord[i]: the code point covering unit i runs on into a neighbouring word; inWord[n] = 0.
    const inWord = new Uint8Array(n + 1);
    for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        const low = c >= 0xdc00 && c <= 0xdfff && i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff;
        inWord[i] = low ? inWord[i - 1] : joins(charAt(text, i)) ? 1 : 0;
    }
    /** @type {M[]} */
    const found = [];
    for (let i = 0; i < n && found.length < ids.size; i++) {
        const bucket = table.get(text[i]);
        if (!bucket) continue;
        const afterWord = i > 0 && inWord[i - 1] === 1;
        if (afterWord && !bucket.anyEdgeFree) continue;
        for (const length of bucket.lengths) {
            const end = i + length;
            if (end > n) continue;
            const hit = bucket.byLength.get(length)?.get(text.slice(i, end));
            if (!hit || (hit.startJoins && afterWord) || (hit.endJoins && inWord[end] === 1)) continue;
            if (!found.includes(hit.member)) found.push(hit.member);
            i = end - 1;
            break;
        }
    }
    return found;
}

/** @param {string} text */
const items = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * Whether the prompt already holds this text: as a substring ignoring case and spacing, or, in
 * the tag style, every one of its tags among the prompt's tags.
 * @param {string} prompt @param {string} text @param {PromptStyle} style
 */
function alreadyIn(prompt, text, style) {
    const folded = fold(prompt);
    if (folded.includes(fold(text))) return true;
    if (style !== 'tags') return false;
    const tags = new Set(items(folded));
    return items(fold(text)).every((t) => tags.has(t));
}

/**
 * The prompt for `/sd`, with the looks of the mentioned characters and the chat's style.
 *
 * - prose: one leading clause per character, "Name: look", the clauses joined by "; " and
 *   ended by ". ", then the prompt: "Seraphina: long silver hair, green eyes; Mara: red hair. <prompt>".
 * - tags: each character's tags as one group, the groups and then the prompt in one
 *   comma-separated list (no braces or `|`, which NovelAI reads as emphasis and sections):
 *   "long silver hair, green eyes, red hair, <prompt>". The name is not added: the image model
 *   does not know it, and the prompt already has it.
 * - The chat style goes after the prompt, joined by ", " (by a space after a prompt ending in
 *   "," or ";", or, in prose, a sentence end), unless the prompt already holds it.
 * - A member listed twice counts once. A character is skipped when their look is blank, is
 *   already in the prompt (ignoring case and spacing; in the tag style also when every one of
 *   its tags is), or was already added for another character (both reported as 'in-prompt').
 * - Length: the prompt (trimmed) and the chat style are never cut; call them the base. Looks are
 *   added in order of first mention while the whole stays within maxChars. The first look that
 *   does not fit whole is cut to its longest run of leading comma-separated items that fits
 *   (dropped when not even one fits), and no later look is added. So the result is at most
 *   max(base length, maxChars) long.
 * - Nothing to add (nobody mentioned with a new look, no new chat style): the prompt itself (===).
 * @param {string} prompt
 * @param {ReadonlyArray<CastMember>} mentioned as findMentions returns them
 * @param {{style: PromptStyle, chatStyle?: string, maxChars?: number}} options
 * @returns {ComposeReport}
 */
export function composePromptReport(prompt, mentioned, { style, chatStyle = '', maxChars = DEFAULT_MAX_CHARS }) {
    checkStyle(style);
    if (!Number.isInteger(maxChars) || maxChars < 0) throw new RangeError(`Expected \`maxChars\` to be a whole number from 0 and up, got ${maxChars}`);
    /** @type {ComposeReport} */
    const report = { prompt, added: [], shortened: null, skipped: [] };
    const core = String(prompt ?? '').trim();
    if (!core) return report;

    const extra = normaliseChatStyle(chatStyle);
    let base = core;
    if (extra && !alreadyIn(core, extra, style)) {
        const spaceOnly = /[,;]$/.test(core) || (style === 'prose' && SENTENCE_END.test(core));
        base = `${core}${spaceOnly ? ' ' : ', '}${extra}`;
    }
    /** @type {string[]} */
    const parts = [];
    const render = (/** @type {string[]} */ list) => (!list.length ? base : style === 'prose' ? `${list.join('; ')}. ${base}` : `${list.join(', ')}, ${base}`);
    const part = (/** @type {string} */ name, /** @type {string[]} */ look) => (style === 'prose' && name ? `${name}: ${look.join(', ')}` : look.join(', '));
    let full = false;
    const seen = new Set();
    for (const member of mentioned ?? []) {
        const id = member?.id;
        if (seen.has(id)) continue;
        seen.add(id);
        const look = normaliseAppearance(member?.appearance).replace(/[.;]+$/u, '');
        if (!look) report.skipped.push({ id, reason: 'no-appearance' });
        else if (alreadyIn(core, look, style) || parts.some((p) => alreadyIn(p, look, style))) report.skipped.push({ id, reason: 'in-prompt' });
        else if (full) report.skipped.push({ id, reason: 'no-room' });
        else {
            const name = cleanName(member.name);
            const whole = items(look);
            let keep = whole.length;
            while (keep > 0 && render([...parts, part(name, whole.slice(0, keep))]).length > maxChars) keep--;
            if (keep < whole.length) full = true;
            if (keep === 0) report.skipped.push({ id, reason: 'no-room' });
            else {
                parts.push(part(name, whole.slice(0, keep)));
                report.added.push(id);
                if (keep < whole.length) report.shortened = id;
            }
        }
    }
    if (parts.length || base !== core) report.prompt = render(parts);
    return report;
}

/** At most this many places and things, in this much text, go into the `{{cast}}` block. */
export const MAX_LORE_LINES = 20;
export const MAX_LORE_BLOCK_CHARS = 1500;
/** Room kept for places and things when there are some, however many characters have looks. */
const LORE_RESERVE_CHARS = 800;

const ASK = {
    prose: 'When one of them is in a picture, name them in its prompt and describe them with the look given here, so they look the same in every picture.',
    tags: 'When one of them is in a picture, write their name as a tag in its prompt, followed by the tags given here for them, so they look the same in every picture.',
};
const LORE_ASK = {
    prose: 'When one of these places or things is in a picture, name it in its prompt and describe it with the look given here.',
    tags: 'When one of these places or things is in a picture, write its name as a tag in its prompt, followed by the tags given here for it.',
};

/**
 * "- Name: look" lines for those with both, in order, while they fit in `room` characters (with
 * a line break each) and number at most `max`. Names and looks are single bounded lines with
 * `"` made `'`, so a model copying them cannot break the tag.
 * @param {ReadonlyArray<CastMember>} list @param {number} room @param {number} max
 */
function lookLines(list, room, max) {
    /** @type {string[]} */
    const lines = [];
    let size = 0;
    for (const member of list) {
        const look = normaliseAppearance(member?.appearance).replace(/"/g, "'");
        const name = cleanName(member?.name).replace(/"/g, "'");
        if (!look || !name) continue;
        const line = `- ${name}: ${look}`;
        if (lines.length === max || size + line.length + 1 > room) break;
        lines.push(line);
        size += line.length + 1;
    }
    return lines;
}

/**
 * The text for a preset's `{{cast}}`: '' when no member and no lorebook entry has a look. Else
 * a line per member with one ("- Name: look", in the given order) under a heading, then the
 * looks lorebook's places and things under theirs (at most MAX_LORE_LINES in
 * MAX_LORE_BLOCK_CHARS, so a big lorebook does not flood the instructions), then a sentence
 * for each part asking the model to name who or what is in each picture and keep the look. The
 * whole stays within MAX_CAST_BLOCK_CHARS.
 * @param {ReadonlyArray<CastMember>} cast
 * @param {{style: PromptStyle, lore?: ReadonlyArray<CastMember>}} options
 */
export function castBlock(cast, { style, lore = [] }) {
    checkStyle(style);
    const head = 'These characters may appear in the pictures:';
    const loreHead = 'These places and things may appear in the pictures:';
    const members = Array.isArray(cast) ? cast.slice(0, MAX_CAST) : [];
    const places = Array.isArray(lore) ? lore : [];
    const wanted = lookLines(places, MAX_LORE_BLOCK_CHARS, MAX_LORE_LINES);
    const reserve = wanted.length ? loreHead.length + LORE_ASK[style].length + 2 + Math.min(LORE_RESERVE_CHARS, wanted.join('\n').length + 1) : 0;
    const loreFixed = loreHead.length + LORE_ASK[style].length + 2;
    const people = lookLines(members, MAX_CAST_BLOCK_CHARS - head.length - ASK[style].length - 2 - reserve, MAX_CAST);
    const used = people.length ? head.length + ASK[style].length + 2 + people.join('\n').length + 1 : 0;
    const things = lookLines(places, Math.min(MAX_LORE_BLOCK_CHARS, MAX_CAST_BLOCK_CHARS - used - loreFixed), MAX_LORE_LINES);
    /** @type {string[]} */
    const out = [];
    if (people.length) out.push(head, ...people);
    if (things.length) out.push(loreHead, ...things);
    if (people.length) out.push(ASK[style]);
    if (things.length) out.push(LORE_ASK[style]);
    return out.join('\n');
}

/**
 * Put the cast block in for `{{cast}}` (any case, spaces inside the braces allowed). With no
 * block, a line holding only the placeholder goes, and so does one blank line next to it when
 * it sat between two, so no gap is left.
 * @param {string} template @param {string} block
 */
export function fillCast(template, block) {
    const PLACEHOLDER = /\{\{\s*cast\s*\}\}/gi;
    if (block) return String(template).replace(PLACEHOLDER, () => block);
    const lines = String(template).split('\n');
    /** @type {string[]} */
    const out = [];
    for (let i = 0; i < lines.length; i++) {
        if (/^[ \t]*\{\{\s*cast\s*\}\}[ \t]*\r?$/i.test(lines[i])) {
            if ((out.length === 0 || !out[out.length - 1].trim()) && i + 1 < lines.length && !lines[i + 1].trim()) i++;
            continue;
        }
        out.push(lines[i].replace(PLACEHOLDER, ''));
    }
    return out.join('\n');
}

/**
 * Which form a preset's pictures take. Presets do not declare it, so it is read from the text:
 * 'tags' when an example `<img-prompt="...">` in it speaks of tags ("comma-separated tags for
 * the picture", as the NAI preset's does) or the text names Danbooru; otherwise 'prose'. The
 * built-ins: Default and Natural language are prose, NAI 4.5 Full is tags.
 * @param {{text: string} | string} preset an entry from presets.js or its text
 * @returns {PromptStyle}
 */
export function presetStyle(preset) {
    const text = typeof preset === 'string' ? preset : String(preset?.text ?? '');
    const example = parseTags(text).some((t) => /\btags?\b/i.test(t.prompt));
    return example || /\bdanbooru\b/i.test(text) ? 'tags' : 'prose';
}
