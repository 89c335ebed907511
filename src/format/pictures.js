// @ts-check
/**
 * Our pictures in message text: writing the `<img data-iig>` markup, finding it again after a
 * tag, inserting or replacing it, stripping it, and rewriting a tag's prompt. Our markup carries
 * `data-iig` so it can always be told apart from images the user or the model wrote, and every
 * attribute is escaped so the markup has no raw `>` before its end. Pure: strings in, strings
 * out; no SillyTavern, no DOM.
 */

import { parseTags, MAX_PROMPT_CHARS } from './tags.js';
import { decodeEntities, escapeAttr, isHtmlSpace } from './html.js';
import { shapeAttribute } from './tag-shape.js';

/** @typedef {import('./tags.js').PromptTag} PromptTag */

/**
 * `alt` is the tag's prompt; `title` (shown on hover) is the prompt that went to Image
 * Generation, when the cast or the chat style added to it, else the tag's prompt too;
 * `data-iig-negative` the negative prompt that went with it, when there was one.
 * @param {{src: string, prompt: string, sent?: string, negative?: string}} image
 * @returns {string}
 */
export function imageMarkup({ src, prompt, sent, negative }) {
    const p = escapeAttr(prompt);
    const title = sent && sent !== prompt ? escapeAttr(sent) : p;
    const avoid = negative ? ` data-iig-negative="${escapeAttr(negative)}"` : '';
    return `<img data-iig="1" src="${escapeAttr(src)}" title="${title}" alt="${p}"${avoid}>`;
}

/** @param {string} text @param {number} i */
function isImgStart(text, i) {
    if (text.slice(i, i + 4).toLowerCase() !== '<img') return false;
    const next = text[i + 4];
    return next !== undefined && (isHtmlSpace(next) || next === '/' || next === '>');
}

/**
 * Read the attributes of the `<img` at `i`. A real (if lenient) attribute reader rather than
 * a search for `>`: images written by hand may have a `>` inside a quoted value.
 * @param {string} text @param {number} i
 * @returns {{end: number, attrs: Map<string, string>} | null}
 */
function readImg(text, i) {
    const n = text.length;
    /** @type {Map<string, string>} */
    const attrs = new Map();
    let j = i + 4;
    for (;;) {
        while (j < n && isHtmlSpace(text[j])) j++;
        if (j >= n) return null;
        const ch = text[j];
        if (ch === '>') return { end: j + 1, attrs };
        // Not an attribute: give up here, which also keeps stripImages linear on hostile text
        // (no `<img` reading can run on across the next one).
        if (ch === '<') return null;
        if (ch === '/' || ch === '=' || ch === '"' || ch === "'") {
            j++;
            continue;
        }
        const nameStart = j;
        while (j < n && !isHtmlSpace(text[j]) && !'/>="\'<'.includes(text[j])) j++;
        const name = text.slice(nameStart, j).toLowerCase();
        let k = j;
        while (k < n && isHtmlSpace(text[k])) k++;
        let value = '';
        if (text[k] === '=') {
            k++;
            while (k < n && isHtmlSpace(text[k])) k++;
            const q = text[k];
            if (q === '"' || q === "'") {
                const close = text.indexOf(q, k + 1);
                if (close === -1) return null;
                value = text.slice(k + 1, close);
                j = close + 1;
            } else {
                const valueStart = k;
                while (k < n && !isHtmlSpace(text[k]) && text[k] !== '>' && text[k] !== '<') k++;
                value = text.slice(valueStart, k);
                j = k;
            }
        }
        if (!attrs.has(name)) attrs.set(name, decodeEntities(value));
    }
}

/** @typedef {{start:number, end:number, src:string, title:string, negative:string}} OurImage */

/**
 * Our image starting exactly at `i`, or null.
 * @param {string} text @param {number} i
 * @returns {OurImage | null}
 */
function ourImageAt(text, i) {
    if (!isImgStart(text, i)) return null;
    const img = readImg(text, i);
    if (!img || !img.attrs.has('data-iig')) return null;
    return { start: i, end: img.end, src: img.attrs.get('src') ?? '', title: img.attrs.get('title') ?? '', negative: img.attrs.get('data-iig-negative') ?? '' };
}

/**
 * Our image right after the tag. Whitespace may separate them (editors and the markdown
 * round trip add some) but not a blank line, which makes the image belong to the next
 * paragraph rather than to this tag.
 * @param {string} text @param {PromptTag} tag
 * @returns {OurImage | null}
 */
export function imageAfter(text, tag) {
    let j = tag.end;
    let newlines = 0;
    while (j < text.length && isHtmlSpace(text[j])) {
        if (text[j] === '\n' && ++newlines > 1) return null;
        j++;
    }
    return ourImageAt(text, j);
}

/**
 * Put an image after the tag it was drawn for. Ordinals go stale when the text is edited
 * while the image is drawn, so the prompt is the real identity and the ordinal only picks
 * among identical prompts.
 * @param {string} text
 * @param {{ordinal: number, prompt: string}} target
 * @param {string} markup
 * @returns {{text: string, status: 'inserted'|'already'|'missing'}}
 */
export function insertImage(text, target, markup) {
    const tags = parseTags(text);
    /** @type {PromptTag | undefined} */
    let tag = tags[target.ordinal];
    if (!tag || tag.prompt !== target.prompt) {
        tag = tags.find((t) => t.prompt === target.prompt && !imageAfter(text, t));
    }
    if (!tag) return { text, status: 'missing' };
    if (imageAfter(text, tag)) return { text, status: 'already' };
    return { text: text.slice(0, tag.end) + markup + text.slice(tag.end), status: 'inserted' };
}

/**
 * @typedef {object} PlacedPicture a finished picture on its way into its message
 * @property {number} ordinal the tag's position among the swipe's tags when it was drawn
 * @property {string} prompt the tag's prompt (its real identity: ordinals go stale on edits)
 * @property {string} src
 * @property {string} [replaceSrc] the picture this one replaces (its file now holds another picture)
 * @property {{prompt: string, seed?: number | null, negative?: string}} [sent] what went to Image Generation
 */

/**
 * Put one finished picture into a message text: after its own tag, or in place of a picture of
 * ours whose file was overwritten (two pictures saved under one name).
 * @param {string} text @param {PlacedPicture} picture
 * @returns {{text: string, status: 'inserted'|'replaced'|'already'|'missing'}}
 */
export function placePicture(text, picture) {
    const markup = imageMarkup({ src: picture.src, prompt: picture.prompt, sent: picture.sent?.prompt, negative: picture.sent?.negative });
    if (picture.replaceSrc) {
        const tags = parseTags(text);
        // Its own ordinal first: among tags with one prompt, that is the likeliest to be its tag.
        const ordered = [tags[picture.ordinal], ...tags].filter(Boolean);
        for (const tag of ordered) {
            if (tag.prompt !== picture.prompt) continue;
            const image = imageAfter(text, tag);
            if (image?.src === picture.replaceSrc) {
                return { text: text.slice(0, image.start) + markup + text.slice(image.end), status: 'replaced' };
            }
        }
    }
    const result = insertImage(text, { ordinal: picture.ordinal, prompt: picture.prompt }, markup);
    return { text: result.text, status: result.status };
}

/**
 * Remove every one of our images, leaving everything else, tags included, byte for byte.
 * @param {string} text
 * @returns {string}
 */
export function stripImages(text) {
    if (!/data-iig/i.test(text)) return text;
    // A tag's quoted prompt may itself contain `<img data-iig ...>` text; that is prompt, not image.
    const tags = parseTags(text);
    let t = 0;
    let out = '';
    let last = 0;
    const re = /<img/gi;
    for (let m = re.exec(text); m; m = re.exec(text)) {
        const i = m.index;
        while (t < tags.length && tags[t].end <= i) t++;
        if (t < tags.length && tags[t].start <= i) {
            re.lastIndex = tags[t].end;
            continue;
        }
        const img = ourImageAt(text, i);
        // A quoted value can run on into a tag (`<img data-iig x="<img-prompt="...">`): that is
        // the model's text, and pruning must never eat into a tag.
        if (!img || (t < tags.length && tags[t].start < img.end)) continue;
        out += text.slice(last, i);
        last = img.end;
        re.lastIndex = img.end;
    }
    return last === 0 ? text : out + text.slice(last);
}

/** @type {Record<string, string>} */
const PROMPT_ESCAPES = { '\\': '\\\\', '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' };

/**
 * Encode a prompt as tag content the tag grammar decodes back to exactly it. Entities rather than
 * backslashes for quotes, because a tag that leaks to an HTML view stays harmless; `<` and `>`
 * too, so the tag has no raw `>` before its end.
 * @param {string} prompt
 */
export function encodePrompt(prompt) {
    return prompt.replace(/[\\&"<>]/g, (c) => PROMPT_ESCAPES[c]);
}

/**
 * Rewrite one tag with a new prompt, keeping its form and (unless told another) its shape. The
 * tag grammar collapses whitespace, so the prompt is normalised the same way first; the result
 * parses back to exactly it.
 * @param {string} text @param {PromptTag} tag @param {string} newPrompt
 * @param {string} [shape] the tag's new shape ('': none)
 * @returns {string}
 * @throws {Error} when the tag is not at its place in `text`, or the prompt is blank
 * @throws {RangeError} when the encoded prompt is longer than a tag may be
 */
export function replaceTagPrompt(text, tag, newPrompt, shape = tag.shape) {
    if (text.slice(tag.start, tag.end) !== tag.raw) throw new Error('replaceTagPrompt: the tag is not at its place in this text (stale tag?)');
    const prompt = String(newPrompt).replace(/\s+/g, ' ').trim();
    if (!prompt) throw new Error('replaceTagPrompt: the new prompt is blank');
    const content = encodePrompt(prompt);
    // Longer content is not a tag any more: it would be hidden as broken and never drawn.
    if (content.length > MAX_PROMPT_CHARS) throw new RangeError(`replaceTagPrompt: the prompt is too long (${content.length} characters once encoded; at most ${MAX_PROMPT_CHARS})`);
    const attribute = shapeAttribute(shape);
    const rewritten = tag.form === 'comment' ? `<!--img-prompt="${content}"${attribute}-->` : `<img-prompt="${content}"${attribute}>`;
    return text.slice(0, tag.start) + rewritten + text.slice(tag.end);
}
