// @ts-check
/**
 * The one attribute a tag may have besides its prompt: `shape`, the picture's orientation
 * (`<img-prompt="a lone knight on a cliff" shape="landscape">`). tag-reading.js reads it with
 * `readShapeAttribute` right after the prompt's closing quote; any other attribute still makes
 * the tag broken. An unknown value is no error: the picture is drawn at the default size.
 * Pure: strings in, plain values out.
 */

/** @typedef {'portrait' | 'landscape' | 'square'} Shape */

/** @type {readonly Shape[]} */
export const SHAPES = Object.freeze(['portrait', 'landscape', 'square']);

/** A value longer than this is not a shape the model meant; the tag is broken. */
export const MAX_SHAPE_VALUE_CHARS = 24;

const NAME = 'shape';

/**
 * The shape a value names (any case, spaces around ignored), or '' for none or an unknown one.
 * @param {unknown} value @returns {Shape | ''}
 */
export function normaliseShape(value) {
    const v = String(value ?? '').trim().toLowerCase();
    return /** @type {Shape | ''} */ (SHAPES.find((s) => s === v) ?? '');
}

/**
 * Read ` shape="value"` at `j` (the text after the prompt's closing quote and its spaces). The
 * value is quoted with `"` or `'`, or bare letters; at most MAX_SHAPE_VALUE_CHARS, on one line.
 * @param {string} text @param {number} j
 * @returns {{kind: 'none'} | {kind: 'unfinished'} | {kind: 'failed'} | {kind: 'read', end: number, shape: Shape | ''}}
 *   none: no `s` here (no attribute); unfinished: the text ran out inside it; read: `end` is just
 *   after the value
 */
export function readShapeAttribute(text, j) {
    const n = text.length;
    if (j >= n || (text[j] !== 's' && text[j] !== 'S')) return { kind: 'none' };
    for (let k = 0; k < NAME.length; k++, j++) {
        if (j >= n) return { kind: 'unfinished' };
        if (text[j].toLowerCase() !== NAME[k]) return { kind: 'failed' };
    }
    j = skipSpaces(text, j);
    if (j >= n) return { kind: 'unfinished' };
    if (text[j] !== '=') return { kind: 'failed' };
    j = skipSpaces(text, j + 1);
    if (j >= n) return { kind: 'unfinished' };
    const q = text[j];
    const quoted = q === '"' || q === "'";
    const start = quoted ? j + 1 : j;
    for (let k = start; ; k++) {
        if (k - start > MAX_SHAPE_VALUE_CHARS) return { kind: 'failed' };
        if (k >= n) return { kind: 'unfinished' };
        const ch = text[k];
        if (quoted ? ch === q : !/[A-Za-z]/.test(ch)) {
            if (k === start && !quoted) return { kind: 'failed' };
            return { kind: 'read', end: quoted ? k + 1 : k, shape: normaliseShape(text.slice(start, k)) };
        }
        if (ch === '\n' || ch === '<' || ch === '>' || ch === '"' || ch === "'") return { kind: 'failed' };
    }
}

/** @param {string} text @param {number} j */
function skipSpaces(text, j) {
    while (j < text.length && (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r' || text[j] === '\f')) j++;
    return j;
}

const RECOVERED_SHAPE = {
    '"': /"[ \t]*shape[ \t]*=[ \t]*"([^"<>=\n]{0,24})$/i,
    "'": /'[ \t]*shape[ \t]*=[ \t]*'([^'<>=\n]{0,24})$/i,
};

/**
 * A broken tag whose only faults were raw quotes in its prompt can still end in a shape:
 * `<img-prompt="a "quoted" word" shape="portrait">`. Split that off the recovered content.
 * @param {string} content the text between the first and the last quote @param {string} q the quote
 * @returns {{content: string, shape: Shape | ''}}
 */
export function splitRecoveredShape(content, q) {
    const re = q === "'" ? RECOVERED_SHAPE["'"] : RECOVERED_SHAPE['"'];
    const m = re.exec(content);
    if (!m) return { content, shape: '' };
    return { content: content.slice(0, m.index), shape: normaliseShape(m[1]) };
}

/** The attribute as we write it after a prompt (' shape="portrait"'), or '' for none. @param {unknown} shape */
export function shapeAttribute(shape) {
    const s = normaliseShape(shape);
    return s ? ` shape="${s}"` : '';
}
