// @ts-check
/**
 * Plain-text measures shared by the prompt code: which characters must not reach a log, a toast
 * or a prompt, and how many words a text has. Pure: strings in, values out; no SillyTavern, no DOM.
 */

/** C0/C1 controls and the bidi overrides, which could reorder what the user sees in a log or toast. */
export const CONTROL_CHARS = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Runs of letters and digits: a dash, an ellipsis or a leftover bit of markup is no word.
 * @param {string} text
 */
export function countWords(text) {
    return (text.match(/[\p{L}\p{N}]+/gu) ?? []).length;
}

/**
 * Characters XML (and so an EPUB page) cannot hold at all, and that an HTML parser turns into
 * U+FFFD anyway: the C0 controls but tab and line ends, and the two non-characters.
 */
export const NOT_IN_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** The text with what XML cannot hold shown as U+FFFD, as a browser shows it. @param {unknown} text */
export function xmlSafe(text) {
    return String(text).replace(NOT_IN_XML, '\ufffd');
}
