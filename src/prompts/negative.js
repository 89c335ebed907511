// @ts-check
/**
 * The negative prompt of a picture: what it must not show. Put together from the selected
 * preset's default negative, the chat's negative and the avoid texts of the characters the
 * prompt names, and sent with `/sd negative=` (which Image Generation combines with its own
 * negative prompt). Pure: strings in, a string out; no SillyTavern, no DOM.
 */
import { fold, normaliseAppearance } from './cast-text.js';

/** Bound on the composed negative (Image Generation adds its own after it). */
export const MAX_NEGATIVE_CHARS = 1000;
/** Bound on one source of it: a preset's default or a chat's negative, as typed. */
export const MAX_NEGATIVE_PART_CHARS = 600;

/** A chat's or a preset's negative as one bounded line (typed lines become ", "). @param {unknown} text */
export function normaliseNegative(text) {
    return normaliseAppearance(text, MAX_NEGATIVE_PART_CHARS);
}

/**
 * The negative to send: the parts in the order given (preset's default, chat's, then the avoid
 * texts of the characters named, in order of mention), each made one line, split into its
 * comma-separated items, an item already given (ignoring case and spacing) left out, joined with
 * ", ". Items are taken in order while the whole stays within maxChars; the first that does not
 * fit ends it, so an earlier source is never cut for a later one. '' when there is nothing.
 * @param {ReadonlyArray<unknown>} parts @param {number} [maxChars]
 * @returns {string}
 */
export function composeNegative(parts, maxChars = MAX_NEGATIVE_CHARS) {
    if (!Number.isInteger(maxChars) || maxChars < 0) throw new RangeError(`Expected \`maxChars\` to be a whole number from 0 and up, got ${maxChars}`);
    /** @type {string[]} */
    const out = [];
    const seen = new Set();
    let size = 0;
    for (const part of Array.isArray(parts) ? parts : []) {
        for (const raw of normaliseAppearance(part, Infinity).split(',')) {
            const item = raw.trim();
            const key = fold(item);
            if (!item || seen.has(key)) continue;
            const grown = size + (out.length ? 2 : 0) + item.length;
            if (grown > maxChars) return out.join(', ');
            seen.add(key);
            out.push(item);
            size = grown;
        }
    }
    return out.join(', ');
}

/**
 * The custom presets' negatives with `name`'s set to `text` (made one bounded line; blank: none),
 * replacing an entry whose name differs only in case. A new object; the input is left alone.
 * @param {Readonly<Record<string, string>> | undefined} negatives @param {string} name @param {unknown} text
 * @returns {Record<string, string>}
 */
export function withPresetNegative(negatives, name, text) {
    const wanted = String(name ?? '').trim();
    const others = Object.entries(negatives ?? {}).filter(([n]) => n.trim().toLowerCase() !== wanted.toLowerCase());
    const value = normaliseNegative(text);
    return Object.fromEntries(value && wanted ? [...others, [wanted, value]] : others);
}
