// @ts-check
/**
 * The one grammar for inline image prompts, `<img-prompt="...">` and `<!--img-prompt="..."-->`.
 * Every other module (streaming detection, insertion, display, pruning, manual generation)
 * goes through this file so they can never disagree about what is a tag; how a single tag start
 * is read (drawn, recovered or broken) is in tag-reading.js. Pure: strings in, plain values out;
 * no SillyTavern, no DOM.
 *
 * A hand-written scanner rather than a regex: the text is model output (hostile in the worst
 * case) and is rescanned on every streamed token, so it must stay linear.
 */
import { matchAt } from './tag-reading.js';

export { MAX_PROMPT_CHARS, MAX_BROKEN_TAG_CHARS } from './tag-reading.js';

/** @typedef {import('./tag-reading.js').PromptTag} PromptTag */
/** @typedef {PromptTag & {ordinal:number}} ScannedTag */
/** @typedef {{start:number, end:number}} Span a broken (malformed) tag: `text.slice(start, end)` is hidden from the reader */
/**
 * @typedef {object} TagScan
 * @property {PromptTag[]} tags the tags to draw, in order (their index is the tag's ordinal)
 * @property {Span[]} malformed the broken tags, in order, none overlapping a tag
 * @property {number} pending streaming only: where a start that is not yet decided begins, or -1;
 *   nothing at or after it is reported
 */

/**
 * Walk the text from `from`. Streaming, the walk ends at the first start that is not yet decided
 * (that part may still become a tag); final, every start is decided.
 * @param {string} text @param {number} from @param {boolean} streaming
 * @returns {TagScan}
 */
function scan(text, from, streaming) {
    /** @type {PromptTag[]} */
    const tags = [];
    /** @type {Span[]} */
    const spans = [];
    let pending = -1;
    let i = text.indexOf('<', from);
    while (i !== -1) {
        const m = matchAt(text, i, !streaming);
        let next = i + 1;
        if (m.kind === 'complete') {
            tags.push(m.tag);
            next = m.tag.end;
        } else if (m.kind === 'malformed') {
            spans.push({ start: i, end: m.end });
            next = m.end;
        } else if (m.kind === 'unfinished') {
            pending = i;
            break;
        }
        i = text.indexOf('<', next);
    }
    return { tags, malformed: spans, pending };
}

/**
 * Everything the grammar says about a text, in one pass.
 * @param {string} text
 * @param {{streaming?: boolean}} [opts] streaming: the text may still grow, so stop at the
 *   first undecided start (`pending`); otherwise the text is final
 * @returns {TagScan}
 */
export function scanTags(text, opts) {
    return scan(text, 0, Boolean(opts?.streaming));
}

/**
 * All tags to draw, in order. The text is taken as final: a trailing unfinished tag is not one.
 * @param {string} text
 * @returns {PromptTag[]}
 */
export function parseTags(text) {
    return scan(text, 0, false).tags;
}

/**
 * The text without its tags (everything else exactly as it was).
 * @param {string} text
 */
export function stripTags(text) {
    let out = '';
    let last = 0;
    for (const tag of parseTags(text)) {
        out += text.slice(last, tag.start);
        last = tag.end;
    }
    return out + text.slice(last);
}

/**
 * Where a trailing tag that is not yet decided begins, or -1; used to keep half-streamed tags
 * (and ones that will turn out broken) off the screen.
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

    /**
     * @param {string} fullText the whole text so far
     * @returns {ScannedTag[]} tags that became complete since the previous call
     */
    feed(fullText) {
        // Decisions made before `resume` (complete or broken) never change when text is only
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
        tags.forEach((tag, k) => {
            const key = `${tag.start}:${tag.raw}`;
            if (this.reported.has(key)) return;
            this.reported.add(key);
            fresh.push({ ...tag, ordinal: this.count + k });
        });
        this.count += tags.length;
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
