// @ts-check
/**
 * The looks lorebook: the World Info file chosen in the drawer ("Looks lorebook"), read through
 * SillyTavern and kept here, so that a prompt, composed synchronously when its picture starts,
 * gets the looks of the places and things it names.
 *
 * - Read with `getContext().loadWorldInfo(name)` (1.13.5 and later; SillyTavern caches it).
 *   It answers a missing file with an empty lorebook, so whether the lorebook exists is read
 *   from SillyTavern's list of lorebook names: `getContext().getWorldInfoNames()` (1.19.0), else
 *   `world_names` of world-info.js (1.13.5 has no getter).
 * - Read again when SillyTavern saves that lorebook (WORLDINFO_UPDATED carries its data), when
 *   a chat opens and when the choice changes. Deleting or renaming a lorebook fires no event:
 *   the list of names is looked at each time the looks are asked for.
 * - A missing (deleted, renamed) or empty lorebook, or one that cannot be read, gets one
 *   warning, not one per prompt; pictures are drawn as before, without its looks.
 */
import { ctx, t, toast } from '../st.js';
import { errorText, log } from '../log.js';
import { readLorebook } from '../prompts/lorebook.js';

/** @typedef {import('../prompts/lorebook.js').LoreLook} LoreLook */
/** @typedef {'none' | 'loading' | 'ok' | 'missing' | 'empty' | 'error'} LoreStatus */
/**
 * @typedef {object} LoreState
 * @property {string} name the lorebook this is about ('' = none chosen)
 * @property {LoreStatus} status
 * @property {LoreLook[]} looks
 * @property {number} entries how many entries it has (looks or not)
 * @property {string} [error] why it could not be read
 */

// src/features/ -> src/ -> extension folder -> third-party -> extensions -> scripts/world-info.js
const WORLD_INFO_URL = new URL('../../../../../world-info.js', import.meta.url).href;
/** @type {any} */
let worldInfo = null;
const worldInfoReady = import(/* webpackIgnore: true */ WORLD_INFO_URL).then((module) => { worldInfo = module; })
    .catch((error) => log.warn('cannot reach world-info.js; the lorebook list comes from getContext() only', error));

/** @type {() => string} */
let chosen = () => '';
/** @type {LoreState} */
let state = { name: '', status: 'none', looks: [], entries: 0 };
/** Bumped by every read started: an older read that ends later is ignored. */
let generation = 0;
/** The problem last warned about ('status:name'), so it is said once. */
let warned = '';
/** @type {Set<(state: LoreState) => void>} */
const listeners = new Set();

/** SillyTavern's lorebook names, or null when this SillyTavern does not say. @returns {string[] | null} */
export function lorebookNames() {
    const c = ctx();
    const names = typeof c.getWorldInfoNames === 'function' ? c.getWorldInfoNames() : worldInfo?.world_names;
    return Array.isArray(names) ? names.map(String) : null;
}

/** What is known of the chosen lorebook now. */
export function lorebookState() {
    return state;
}

/** @param {(state: LoreState) => void} listener called whenever the state changes */
export function onLorebookChanged(listener) {
    listeners.add(listener);
}

/** The one warning for a problem. @param {LoreState} s */
function warn(s) {
    if (!['missing', 'empty', 'error'].includes(s.status)) {
        warned = '';
        return;
    }
    const key = `${s.status}:${s.name}`;
    if (warned === key) return;
    warned = key;
    const text = s.status === 'missing'
        ? t`The looks lorebook "${s.name}" was not found: it may have been deleted or renamed. Pictures are drawn without its looks; choose a lorebook again in the Characters section.`
        : s.status === 'empty'
            ? t`The looks lorebook "${s.name}" has no enabled entry with a key and content, so it adds no looks.`
            : t`The looks lorebook "${s.name}" could not be read (${s.error ?? ''}). Pictures are drawn without its looks.`;
    toast(text, 'warning', { timeOut: 15_000, closeButton: true });
}

/** @param {number} mine the read's generation @param {LoreState} next */
function settle(mine, next) {
    if (mine !== generation) return state;
    state = next;
    if (next.status !== 'loading') warn(next);
    for (const listener of listeners) listener(state);
    return state;
}

/** @param {string} name @param {unknown} data a lorebook's data as SillyTavern holds it */
function fromData(name, data) {
    const { looks, entries } = readLorebook(data);
    return /** @type {LoreState} */ ({ name, status: looks.length ? 'ok' : 'empty', looks, entries });
}

/**
 * Read the chosen lorebook again.
 * @returns {Promise<LoreState>}
 */
export async function reloadLorebook() {
    const name = chosen();
    const mine = ++generation;
    if (!name) return settle(mine, { name, status: 'none', looks: [], entries: 0 });
    if (state.name !== name) settle(mine, { name, status: 'loading', looks: [], entries: 0 });
    await worldInfoReady;
    const names = lorebookNames();
    if (names && !names.includes(name)) return settle(mine, { name, status: 'missing', looks: [], entries: 0 });
    try {
        const c = ctx();
        if (typeof c.loadWorldInfo !== 'function') throw new Error('this SillyTavern cannot read lorebooks (no loadWorldInfo)');
        return settle(mine, fromData(name, await c.loadWorldInfo(name)));
    } catch (error) {
        log.warn(`could not read the looks lorebook "${name}"`, error);
        return settle(mine, { name, status: 'error', looks: [], entries: 0, error: errorText(error) });
    }
}

/**
 * The looks of the chosen lorebook, for a prompt being composed now ([] while it is being read,
 * and when it is missing or empty). Notices a lorebook deleted or renamed since it was read.
 * @returns {LoreLook[]}
 */
export function lorebookLooks() {
    const name = chosen();
    if (!name) return [];
    if (name !== state.name) {
        void reloadLorebook();
        return [];
    }
    checkNames();
    return state.status === 'ok' ? state.looks : [];
}

/**
 * Whether the chosen lorebook is still in SillyTavern's list: gone since it was read (deleted,
 * renamed) makes it missing at once; back again, it is read again.
 * @returns {boolean} whether the state changed or a read started
 */
function checkNames() {
    const name = chosen();
    const names = lorebookNames();
    if (!name || !names || state.name !== name) return false;
    if (!names.includes(name) && state.status !== 'missing' && state.status !== 'loading') {
        settle(++generation, { name, status: 'missing', looks: [], entries: 0 });
        return true;
    }
    if (names.includes(name) && state.status === 'missing') {
        void reloadLorebook();
        return true;
    }
    return false;
}

/** SillyTavern rebuilt its list of lorebooks (one was made, imported, renamed or deleted). */
function namesChanged() {
    if (!checkNames()) for (const listener of listeners) listener(state);
}

/**
 * Open SillyTavern's World Info editor on a lorebook, as its own lorebook buttons do.
 * @param {string} name
 */
export function openLorebookEditor(name) {
    if (typeof worldInfo?.openWorldInfoEditor === 'function') return void worldInfo.openWorldInfoEditor(name);
    // The same steps, for a SillyTavern whose world-info.js could not be reached.
    const $ = /** @type {any} */ (globalThis).jQuery;
    const index = lorebookNames()?.indexOf(name) ?? -1;
    if (typeof $ !== 'function' || index < 0) return void toast(t`The World Info editor could not be opened here; open it from SillyTavern's top bar.`, 'warning');
    if (!$('#WorldInfo').is(':visible')) $('#WIDrawerIcon').trigger('click');
    $('#world_editor_select').val(index).trigger('change');
}

/**
 * Follow the chosen lorebook: read it once SillyTavern is ready, when a chat opens, and when
 * SillyTavern saves it.
 * @param {() => string} name the chosen lorebook's name ('' = none), read live from the settings
 */
export function watchLorebook(name) {
    chosen = name;
    const { eventSource, eventTypes: E } = ctx();
    const on = (/** @type {string} */ event, /** @type {(...args: any[]) => void} */ fn) => { if (E?.[event]) eventSource.on(E[event], fn); };
    on('APP_READY', () => {
        void reloadLorebook();
        // SillyTavern fires no event when its list of lorebooks changes, but it rebuilds its
        // editor's picker: that rebuild is the signal.
        const picker = document.getElementById('world_editor_select');
        if (picker) new MutationObserver(namesChanged).observe(picker, { childList: true });
    });
    on('CHAT_CHANGED', () => void reloadLorebook());
    on('WORLDINFO_UPDATED', (/** @type {unknown} */ saved, /** @type {unknown} */ data) => {
        if (saved !== chosen() || !chosen()) return;
        if (data && typeof data === 'object') settle(++generation, fromData(String(saved), data));
        else void reloadLorebook();
    });
}
