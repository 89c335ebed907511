// @ts-check
/**
 * Looks of places and things, read from a SillyTavern lorebook (World Info file): each enabled
 * entry with a key and some content is a look. Its keys are the names it goes by (matched in
 * prompts like a character's aliases), its content the look. Pure: the lorebook's data in,
 * plain objects out; no SillyTavern, no DOM.
 *
 * Keys written as regular expressions (`/pattern/flags`, as SillyTavern reads them) are left
 * out: a pattern is not a name, and nothing here builds a RegExp from user text. An entry whose
 * keys are all patterns is not a look.
 */
import { cleanName, normaliseAliases, normaliseAppearance } from './cast-text.js';

/** At most this many looks are read from one lorebook (the rest are ignored). */
export const MAX_LORE_LOOKS = 200;

/**
 * @typedef {object} LoreLook
 * @property {string} id 'lore:<uid>'
 * @property {string} name its first key: what the prompt clause and the `{{cast}}` block call it
 * @property {string[]} aliases every usable key, the first being `name`
 * @property {string} appearance the entry's content as one bounded line
 * @property {string} comment the entry's title in SillyTavern's editor ('' when none)
 */

/**
 * Whether SillyTavern reads this key as a regular expression (parseRegexFromString): `/.../`
 * with only flag letters after the closing slash and no unescaped `/` inside. A linear check
 * (no pattern is built or run).
 * @param {unknown} key
 */
export function isRegexKey(key) {
    if (typeof key !== 'string') return false;
    const close = key.lastIndexOf('/');
    if (key.length < 3 || key[0] !== '/' || close < 2 || !/^[gimsuy]*$/.test(key.slice(close + 1))) return false;
    return !/(^|[^\\])\//.test(key.slice(1, close));
}

/**
 * The looks in a lorebook's data (`{entries: {<uid>: entry}}`, as `loadWorldInfo` gives it, or
 * entries as a list), in the order of their uids. Disabled entries, entries without a usable
 * key and entries without content are not looks. Never throws: unreadable data has no looks.
 * @param {unknown} data
 * @returns {{looks: LoreLook[], entries: number}} entries: how many entries the lorebook has
 */
export function readLorebook(data) {
    const raw = data && typeof data === 'object' ? /** @type {any} */ (data).entries : undefined;
    const list = raw && typeof raw === 'object' ? Object.values(raw) : [];
    const entries = list.filter((e) => e && typeof e === 'object' && !Array.isArray(e));
    const uid = (/** @type {any} */ e) => (Number.isFinite(Number(e.uid)) ? Number(e.uid) : Infinity);
    /** @type {LoreLook[]} */
    const looks = [];
    const ids = new Set();
    for (const entry of [...entries].sort((a, b) => uid(a) - uid(b))) {
        if (looks.length === MAX_LORE_LOOKS) break;
        if (entry.disable === true) continue;
        const keys = Array.isArray(entry.key) ? entry.key.filter((/** @type {unknown} */ k) => typeof k === 'string' && !isRegexKey(k)) : [];
        const aliases = normaliseAliases(keys);
        const appearance = typeof entry.content === 'string' ? normaliseAppearance(entry.content) : '';
        if (!aliases.length || !appearance) continue;
        // Two entries sharing a uid (a hand-edited file) are still two looks.
        let id = `lore:${Number.isFinite(uid(entry)) ? uid(entry) : 'x'}`;
        while (ids.has(id)) id += '+';
        ids.add(id);
        looks.push({ id, name: cleanName(aliases[0]), aliases, appearance, comment: cleanName(entry.comment) });
    }
    return { looks, entries: entries.length };
}
