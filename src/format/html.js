// @ts-check
/**
 * The little of HTML that our markup and the tag grammar share: escaping an attribute value,
 * decoding the entities that escaping writes, and HTML's whitespace. Pure: strings in, strings
 * out; no SillyTavern, no DOM.
 */

/** @type {Record<string, string>} */
const ESCAPES = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };

/**
 * @param {unknown} s
 * @returns {string}
 */
export function escapeAttr(s) {
    return String(s).replace(/[&"'<>]/g, (c) => ESCAPES[c]);
}

/** @type {Record<string, string>} */
const ENTITIES = { '&quot;': '"', '&#34;': '"', '&#39;': "'", '&apos;': "'", '&lt;': '<', '&gt;': '>', '&amp;': '&' };

/**
 * Decode the entities escapeAttr writes (and their common spellings). One alternation applied
 * in a single left-to-right pass: `&amp;quot;` yields `&quot;` and stops, which is what a real
 * HTML decoder does and what makes escaping reversible.
 * @param {string} s
 */
export function decodeEntities(s) {
    return s.replace(/&(?:quot|#34|#39|apos|lt|gt|amp);/g, (e) => ENTITIES[e]);
}

/** Whitespace as HTML reads it between attributes (and as the tag syntax allows it). @param {string} ch */
export function isHtmlSpace(ch) {
    return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f';
}
