// @ts-check
/**
 * The one grammar for inline image prompts, `<img-prompt="...">` and `<!--img-prompt="..."-->`.
 * Every other module (streaming detection, insertion, display, pruning) goes through this file
 * so they can never disagree about what is a tag.
 *
 * A hand-written scanner rather than a regex: the text is model output (hostile in the worst
 * case) and is rescanned on every streamed token, so it must stay linear. The content cap is
 * what bounds the work done from any one `<`.
 */

/** Raw characters allowed between the quotes; longer unclosed content is not a tag. */
export const MAX_PROMPT_CHARS = 2000;

/** @typedef {{start:number,end:number,prompt:string,raw:string,form:'tag'|'comment'}} PromptTag */
/** @typedef {PromptTag & {ordinal:number}} ScannedTag */

const NAME = 'img-prompt';

/** @typedef {{kind:'complete', tag:PromptTag} | {kind:'unfinished'} | {kind:'malformed'}} Match */

/** @type {Match} */
const UNFINISHED = Object.freeze({ kind: 'unfinished' });
/** @type {Match} */
const MALFORMED = Object.freeze({ kind: 'malformed' });

/** @param {string} ch */
function isWs(ch) {
    return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f';
}

/** @param {string} text @param {number} j */
function skipWs(text, j) {
    while (j < text.length && isWs(text[j])) j++;
    return j;
}

/** @type {Record<string, string>} */
const ENTITIES = { '&quot;': '"', '&#34;': '"', '&#39;': "'", '&apos;': "'", '&lt;': '<', '&gt;': '>', '&amp;': '&' };
// One alternation applied in a single left-to-right pass: `&amp;quot;` yields `&quot;` and stops,
// which is what a real HTML decoder does and what makes escaping reversible.
const ENTITY_RE = /&(?:quot|#34|#39|apos|lt|gt|amp);/g;

/**
 * Turn the raw text between the quotes into the prompt the image model gets.
 * @param {string} rawContent
 */
export function decodeContent(rawContent) {
    const unescaped = rawContent.replace(/\\([\s\S])/g, (_, c) => (c === '"' || c === "'" || c === '\\' ? c : `\\${c}`));
    const decoded = unescaped.replace(ENTITY_RE, (e) => ENTITIES[e]);
    return decoded.replace(/\s+/g, ' ').trim();
}

/**
 * Try to read one tag whose `<` is at `i`. "unfinished" means the text ran out before the
 * grammar could say yes or no, which only matters at the end of a streamed text.
 * @param {string} text @param {number} i
 * @returns {Match}
 */
function matchAt(text, i) {
    const n = text.length;
    let j = i + 1;
    /** @type {'tag'|'comment'} */
    let form = 'tag';
    if (j < n && text[j] === '!') {
        form = 'comment';
        for (j++; j < i + 4; j++) {
            if (j >= n) return UNFINISHED;
            if (text[j] !== '-') return MALFORMED;
        }
        j = skipWs(text, j);
    }
    for (let k = 0; k < NAME.length; k++, j++) {
        if (j >= n) return UNFINISHED;
        if (text[j].toLowerCase() !== NAME[k]) return MALFORMED;
    }
    j = skipWs(text, j);
    if (j >= n) return UNFINISHED;
    if (text[j] !== '=') return MALFORMED;
    j = skipWs(text, j + 1);
    if (j >= n) return UNFINISHED;
    const quote = text[j];
    if (quote !== '"' && quote !== "'") return MALFORMED;
    const contentStart = ++j;
    for (;;) {
        if (j - contentStart > MAX_PROMPT_CHARS) return MALFORMED;
        if (j >= n) return UNFINISHED;
        const ch = text[j];
        if (ch === quote) break;
        j += ch === '\\' ? 2 : 1;
    }
    // Decide emptiness as soon as the content closes, so `<img-prompt=""` does not linger as
    // "unfinished" (and hidden) while it can never become a prompt.
    const prompt = decodeContent(text.slice(contentStart, j));
    if (!prompt) return MALFORMED;
    j = skipWs(text, j + 1);
    if (form === 'tag') {
        if (j >= n) return UNFINISHED;
        if (text[j] === '/') j = skipWs(text, j + 1);
        if (j >= n) return UNFINISHED;
        if (text[j] !== '>') return MALFORMED;
        j++;
    } else {
        for (const want of '-->') {
            if (j >= n) return UNFINISHED;
            if (text[j] !== want) return MALFORMED;
            j++;
        }
    }
    return { kind: 'complete', tag: { start: i, end: j, prompt, raw: text.slice(i, j), form } };
}

/**
 * Walk the text from `from`. With `stopAtUnfinished` the walk ends at the first unfinished
 * start (streaming: that part may still become a tag); without it an unfinished start is just
 * text (the text is final), so tags inside it are found.
 * @param {string} text @param {number} from @param {boolean} stopAtUnfinished
 * @returns {{tags: PromptTag[], pending: number}}
 */
function scan(text, from, stopAtUnfinished) {
    /** @type {PromptTag[]} */
    const tags = [];
    let pending = -1;
    let i = text.indexOf('<', from);
    while (i !== -1) {
        const m = matchAt(text, i);
        if (m.kind === 'complete') {
            tags.push(m.tag);
            i = text.indexOf('<', m.tag.end);
            continue;
        }
        if (m.kind === 'unfinished' && pending === -1) {
            pending = i;
            if (stopAtUnfinished) break;
        }
        i = text.indexOf('<', i + 1);
    }
    return { tags, pending };
}

/**
 * All complete tags, in order. The text is taken as final: a trailing unfinished tag is not one.
 * @param {string} text
 * @returns {PromptTag[]}
 */
export function parseTags(text) {
    return scan(text, 0, false).tags;
}

/**
 * Where a trailing tag that may still complete begins, or -1; used to keep half-streamed tags
 * off the screen.
 * @param {string} text
 * @returns {number}
 */
export function unfinishedTagStart(text) {
    return scan(text, 0, true).pending;
}

/**
 * Incremental detection over cumulative streamed text: each call scans only from where the
 * previous one could not yet decide, so a tag is reported the moment its closing `>` arrives.
 */
export class TagScanner {
    constructor() {
        /** @type {string} the text of the previous call */
        this.text = '';
        /** @type {number} everything before this index is decided */
        this.resume = 0;
        /** @type {number} complete tags before `resume`, so ordinals stay global */
        this.count = 0;
        /** @type {Set<string>} `start:raw` of every tag reported, so a rewrite repeats none */
        this.reported = new Set();
    }

    reset() {
        this.text = '';
        this.resume = 0;
        this.count = 0;
        this.reported = new Set();
    }

    /**
     * @param {string} fullText the whole text so far
     * @returns {ScannedTag[]} tags that became complete since the previous call
     */
    feed(fullText) {
        // Decisions made before `resume` (complete or malformed) never change when text is only
        // appended; any other change invalidates them all. slice + === rather than startsWith:
        // V8 compares flat strings with memcmp but walks startsWith char by char, ~40x slower.
        const prev = this.text;
        if (fullText.length < prev.length || fullText.slice(0, prev.length) !== prev) {
            this.resume = 0;
            this.count = 0;
        }
        const { tags, pending } = scan(fullText, this.resume, true);
        /** @type {ScannedTag[]} */
        const fresh = [];
        for (const tag of tags) {
            const ordinal = this.count++;
            const key = `${tag.start}:${tag.raw}`;
            if (this.reported.has(key)) continue;
            this.reported.add(key);
            fresh.push({ ...tag, ordinal });
        }
        this.resume = pending === -1 ? fullText.length : pending;
        this.text = fullText;
        return fresh;
    }
}

const SD_MODE_KEYWORDS = new Set(['you', 'me', 'scene', 'last', 'raw_last', 'face', 'background']);

/**
 * The image command reads these single words as modes ("draw the last message") rather than
 * as a prompt, so callers must disguise them.
 * @param {string} prompt
 */
export function isSdModeKeyword(prompt) {
    return SD_MODE_KEYWORDS.has(String(prompt).trim().toLowerCase());
}
