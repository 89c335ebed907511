// @ts-check
/**
 * How one tag start (`<img-prompt` or `<!--img-prompt`, any case) is read; tags.js walks a text
 * with it. Pure: strings in, plain values out; no SillyTavern, no DOM.
 *
 * Three readings of a tag start:
 * - **strict**: the grammar proper; such a tag is drawn.
 * - **raw-quote recovery**: the grammar failed only because the model put raw quotes inside
 *   the quotes (`<img-prompt="a "quoted" word">`); the intended prompt is recovered and drawn.
 * - **broken**: anything else that starts like a tag is not drawn, and the span it plainly
 *   covers is reported so the display can hide it (the reader must never see `">` or
 *   `onerror=...` left over from a tag).
 *
 * The work from any one `<` is bounded (the content cap, MAX_BROKEN_TAG_CHARS), and readings do
 * not pile up on the same text: a strict reading stops at the next quote of its kind, which
 * every later start with that quote has right after its `=`, and a broken reading stops at the
 * next tag start.
 */
import { decodeEntities, isHtmlSpace } from './html.js';
import { readShapeAttribute, splitRecoveredShape } from './tag-shape.js';

/** Raw characters allowed between the quotes; longer unclosed content is not a tag. */
export const MAX_PROMPT_CHARS = 2000;

/**
 * How far past its opening quote (or its name, when there is none) a broken tag is read to
 * find where it plainly ends. Bounds both the work and how much story a broken tag can hide.
 */
export const MAX_BROKEN_TAG_CHARS = MAX_PROMPT_CHARS + 64;

/**
 * @typedef {{start:number,end:number,prompt:string,raw:string,form:'tag'|'comment',shape:import('./tag-shape.js').Shape|''}} PromptTag
 * `shape`: the tag's `shape` attribute ('' when it has none, or one we do not know)
 */

/**
 * @typedef {{kind:'none'} | {kind:'unfinished'} | {kind:'complete', tag:PromptTag} | {kind:'malformed', end:number}} Match
 * `none`: this `<` does not start a tag at all; `unfinished`: the text ran out before the
 * reading could decide (only while streaming).
 */

const NAME = 'img-prompt';

/** @type {Match} */
const NONE = Object.freeze({ kind: 'none' });
/** @type {Match} */
const UNFINISHED = Object.freeze({ kind: 'unfinished' });

/** @param {number} end @returns {Match} */
const malformed = (end) => ({ kind: 'malformed', end });

/** @param {string} text @param {number} j */
function skipWs(text, j) {
    while (j < text.length && isHtmlSpace(text[j])) j++;
    return j;
}

/** Spaces on one line, for the broken reading, which never crosses a line end. @param {string} text @param {number} j @param {number} stop */
function skipLineWs(text, j, stop) {
    while (j < stop && (text[j] === ' ' || text[j] === '\t' || text[j] === '\r' || text[j] === '\f')) j++;
    return j;
}

const JS_SPACE = /\s/;
/** Exactly what `\s` matches, since that is what decodeContent trims. @param {string} ch */
function isBlankChar(ch) {
    const c = ch.charCodeAt(0);
    if (c > 32 && c < 127) return false;
    return JS_SPACE.test(ch);
}

/**
 * Turn the raw text between the quotes into the prompt the image model gets.
 * @param {string} rawContent
 */
function decodeContent(rawContent) {
    const unescaped = rawContent.replace(/\\([\s\S])/g, (_, c) => (c === '"' || c === "'" || c === '\\' ? c : `\\${c}`));
    return decodeEntities(unescaped).replace(/\s+/g, ' ').trim();
}

/** @typedef {{form:'tag'|'comment', end:number}} Head */

/**
 * Does a tag start at `i` (`<img-prompt`, or `<!--` then optional whitespace then `img-prompt`,
 * any case)? Whatever follows the name, it is ours: drawn or hidden, never shown.
 * @param {string} text @param {number} i @param {boolean} final
 * @returns {Head | null | 'unfinished'} null: not a start; 'unfinished': could still become one
 */
function headAt(text, i, final) {
    const n = text.length;
    const ranOut = final ? null : 'unfinished';
    let j = i + 1;
    /** @type {'tag'|'comment'} */
    let form = 'tag';
    if (j < n && text[j] === '!') {
        form = 'comment';
        for (j++; j < i + 4; j++) {
            if (j >= n) return ranOut;
            if (text[j] !== '-') return null;
        }
        j = skipWs(text, j);
    }
    for (let k = 0; k < NAME.length; k++, j++) {
        if (j >= n) return ranOut;
        // ASCII case folding by hand: this runs for every `<`, and toLowerCase allocates.
        const c = text.charCodeAt(j);
        if ((c >= 65 && c <= 90 ? c + 32 : c) !== NAME.charCodeAt(k)) return null;
    }
    return { form, end: j };
}

/**
 * The strict grammar, from the end of the name: `=`, a quoted non-blank prompt of at most
 * MAX_PROMPT_CHARS (a backslash escapes the next character), optionally a `shape` attribute
 * (tag-shape.js), then `>` (`/>` allowed) or `-->`. Whitespace may stand around `=`, before the
 * attribute and before the end.
 * @param {string} text @param {number} start @param {Head} head
 * @returns {{kind:'complete', tag:PromptTag} | {kind:'unfinished'|'failed', quote:number}}
 *   `quote`: where the opening quote is, or -1 when the reading failed before one
 */
function readStrict(text, start, head) {
    const n = text.length;
    let j = skipWs(text, head.end);
    if (j >= n) return { kind: 'unfinished', quote: -1 };
    if (text[j] !== '=') return { kind: 'failed', quote: -1 };
    j = skipWs(text, j + 1);
    if (j >= n) return { kind: 'unfinished', quote: -1 };
    const q = text[j];
    if (q !== '"' && q !== "'") return { kind: 'failed', quote: -1 };
    const quote = j;
    const contentStart = ++j;
    for (;;) {
        if (j - contentStart > MAX_PROMPT_CHARS) return { kind: 'failed', quote };
        if (j >= n) return { kind: 'unfinished', quote };
        const ch = text[j];
        if (ch === q) break;
        j += ch === '\\' ? 2 : 1;
    }
    const contentEnd = j;
    j = skipWs(text, j + 1);
    const attribute = readShapeAttribute(text, j);
    if (attribute.kind === 'unfinished' || attribute.kind === 'failed') return { kind: attribute.kind, quote };
    const shape = attribute.kind === 'read' ? attribute.shape : '';
    if (attribute.kind === 'read') j = skipWs(text, attribute.end);
    if (head.form === 'tag') {
        if (j >= n) return { kind: 'unfinished', quote };
        if (text[j] === '/') j = skipWs(text, j + 1);
        if (j >= n) return { kind: 'unfinished', quote };
        if (text[j] !== '>') return { kind: 'failed', quote };
        j++;
    } else {
        for (const want of '-->') {
            if (j >= n) return { kind: 'unfinished', quote };
            if (text[j] !== want) return { kind: 'failed', quote };
            j++;
        }
    }
    const prompt = decodeContent(text.slice(contentStart, contentEnd));
    if (!prompt) return { kind: 'failed', quote };
    return { kind: 'complete', tag: { start, end: j, prompt, raw: text.slice(start, j), form: head.form, shape } };
}

/**
 * How far a broken reading from `from` may go: MAX_BROKEN_TAG_CHARS, or the end of the text.
 * Running into that end only leaves things open when it is the end of a text still streaming.
 * @param {string} text @param {number} from @param {boolean} final
 */
function brokenWindow(text, from, final) {
    const bound = from + MAX_BROKEN_TAG_CHARS;
    const stop = Math.min(text.length, bound);
    return { stop, undecided: !final && stop === text.length && text.length < bound };
}

/**
 * Does a broken reading stop at `j`? It never crosses a line end, nor the next tag start.
 * @param {string} text @param {number} j @param {boolean} final
 * @returns {boolean | 'unfinished'} 'unfinished': a tag start may be there once more text comes
 */
function brokenStopAt(text, j, final) {
    if (text[j] === '\n') return true;
    if (text[j] !== '<') return false;
    const head = headAt(text, j, final);
    return head === 'unfinished' ? head : head !== null;
}

/**
 * Is there a closing quote's tail at `j` (just after a quote): optional spaces, then `>`
 * (`/>` allowed) for the tag form, `-->` for the comment form?
 * @param {string} text @param {number} j @param {'tag'|'comment'} form
 * @param {number} stop where the broken reading ends @param {boolean} undecided whether running into `stop` means the text ran out
 * @returns {number} the index after the close, -1 when there is none, -2 when the text ran out first
 */
function closeAt(text, j, form, stop, undecided) {
    const ranOut = undecided ? -2 : -1;
    j = skipLineWs(text, j, stop);
    if (form === 'tag') {
        if (j < stop && text[j] === '/') j = skipLineWs(text, j + 1, stop);
        if (j >= stop) return ranOut;
        return text[j] === '>' ? j + 1 : -1;
    }
    for (const want of '-->') {
        if (j >= stop) return ranOut;
        if (text[j] !== want) return -1;
        j++;
    }
    return j;
}

/**
 * The reading of a tag whose strict grammar failed after its opening quote at `quote`.
 *
 * Along the same line, no further than MAX_BROKEN_TAG_CHARS and never past the next tag start,
 * look for the closing quote: the tag's own quote character, unescaped, followed by optional
 * spaces and `>` (`/>`; `-->` for the comment form), with some prompt text before it, and not
 * inside a `<…>` written in the prompt (that `>` is the markup's).
 * - Found, and the text between the quotes has no `<`, `>` or `=`: the raw quotes in it were
 *   the only fault, and that text is the prompt (recovered, drawn).
 * - Found otherwise: the tag is broken and ends there.
 * - Before that, a `>` after the first inner quote that ends no `<…>` ends the broken tag
 *   (`<img-prompt="x" foo>`); in the comment form only the `>` of a `-->` does. Not when the
 *   quotes closed on nothing (`""`): an empty prompt is never what the model meant, so that is
 *   the model breaking out of the attribute (`<img-prompt=""><script>…</script>">`) and only
 *   the closing quote it meant as the end ends it.
 * - None of these before the line (or the bound, or the next tag start) ends: the broken tag
 *   ends at its first `>`, or else where the reading stopped.
 * @param {string} text @param {number} start @param {'tag'|'comment'} form @param {number} quote
 * @param {boolean} final
 * @returns {Match}
 */
function readBroken(text, start, form, quote, final) {
    const q = text[quote];
    const { stop, undecided } = brokenWindow(text, quote + 1, final);
    let sawQuote = false; // the first inner quote has been passed
    let breakout = false; // ...and the content before it was blank
    let nonBlank = false;
    let inMarkup = false; // inside a `<…>` the prompt itself holds
    let firstGt = -1;
    let j = quote + 1;
    while (j < stop) {
        const ch = text[j];
        const stopsHere = brokenStopAt(text, j, final);
        if (stopsHere === 'unfinished') return UNFINISHED;
        if (stopsHere) break;
        if (ch === '<') {
            inMarkup = true;
            nonBlank = true;
            j++;
            continue;
        }
        // Only an escaped quote or backslash is skipped whole: skipping a `<` or a line end
        // would let the reading run past where it must stop.
        if (ch === '\\' && (text[j + 1] === q || text[j + 1] === '\\')) {
            nonBlank = true;
            j += 2;
            continue;
        }
        if (ch === q) {
            if (!sawQuote) breakout = !nonBlank;
            sawQuote = true;
            if (!inMarkup) {
                const close = closeAt(text, j + 1, form, stop, undecided);
                if (close === -2) return UNFINISHED;
                if (close !== -1) {
                    if (nonBlank) return recover(text, start, form, quote + 1, j, close);
                    if (firstGt === -1) firstGt = close - 1;
                    j = close;
                    continue;
                }
            }
            nonBlank = true;
            j++;
            continue;
        }
        if (ch === '>') {
            if (firstGt === -1) firstGt = j;
            if (inMarkup) inMarkup = false;
            else if (sawQuote && !breakout && (form === 'tag' || text.startsWith('--', j - 2))) return malformed(j + 1);
            j++;
            continue;
        }
        if (!isBlankChar(ch)) nonBlank = true;
        j++;
    }
    if (j >= stop && undecided) return UNFINISHED;
    // An escaped pair can step one past `stop`; the reading itself ended there.
    return malformed(firstGt !== -1 ? firstGt + 1 : Math.min(j, stop));
}

/**
 * A closing quote was found for a broken tag: draw it if the raw quotes were its only fault.
 * @param {string} text @param {number} start @param {'tag'|'comment'} form
 * @param {number} contentStart @param {number} contentEnd @param {number} end
 * @returns {Match}
 */
function recover(text, start, form, contentStart, contentEnd, end) {
    const raw = text.slice(contentStart, contentEnd);
    const { content, shape } = /[<>=]/.test(raw) ? splitRecoveredShape(raw, text[contentStart - 1]) : { content: raw, shape: /** @type {''} */ ('') };
    // `<`, `>` or `=` would make the "prompt" markup or another attribute (`x" onerror="...`).
    if (content.length <= MAX_PROMPT_CHARS && !/[<>=]/.test(content)) {
        const prompt = decodeContent(content);
        if (prompt) return { kind: 'complete', tag: { start, end, prompt, raw: text.slice(start, end), form, shape } };
    }
    return malformed(end);
}

/**
 * A tag start that failed before any opening quote (`<img-prompt>`, `<img-prompt=x>`): it ends
 * at its first `>` (the comment form: its first `-->`, else its first `>`) on the same line,
 * bounded and never past the next tag start.
 * @param {string} text @param {number} from the end of the name @param {'tag'|'comment'} form
 * @param {boolean} final
 * @returns {Match}
 */
function readBrokenHead(text, from, form, final) {
    const { stop, undecided } = brokenWindow(text, from, final);
    let firstGt = -1;
    let j = from;
    for (; j < stop; j++) {
        const stopsHere = brokenStopAt(text, j, final);
        if (stopsHere === 'unfinished') return UNFINISHED;
        if (stopsHere) break;
        if (text[j] === '>') {
            if (form === 'tag' || text.startsWith('--', j - 2)) return malformed(j + 1);
            if (firstGt === -1) firstGt = j;
        }
    }
    if (j >= stop && undecided) return UNFINISHED;
    return malformed(firstGt !== -1 ? firstGt + 1 : j);
}

/**
 * Read the tag start at `i`, if it is one. With `final`, the text is complete and every start is
 * decided; without, a reading that runs into the end of the text is unfinished.
 * @param {string} text @param {number} i @param {boolean} final
 * @returns {Match}
 */
export function matchAt(text, i, final) {
    const head = headAt(text, i, final);
    if (head === null) return NONE;
    if (head === 'unfinished') return UNFINISHED;
    const strict = readStrict(text, i, head);
    if (strict.kind === 'complete') return strict;
    // The strict reading comes first: while it is open, the text may still make it a tag.
    if (strict.kind === 'unfinished' && !final) return UNFINISHED;
    return strict.quote === -1 ? readBrokenHead(text, head.end, head.form, final) : readBroken(text, i, head.form, strict.quote, final);
}
