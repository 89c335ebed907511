// @ts-check
/**
 * The one way in to SillyTavern: `SillyTavern.getContext()`, read fresh on every call
 * (each call builds a new object; `chatId`, `characterId` and friends change under us).
 */
import { log } from './log.js';

/** @returns {any} */
export function ctx() {
    return /** @type {any} */ (globalThis).SillyTavern.getContext();
}

/** SillyTavern's i18n functions, found once: they never change, and getContext() builds a
 * new object of some 200 members on every call (labels are read on every streamed chunk). */
const translators = new Map();
/** @param {'t' | 'translate'} name @returns {Function | undefined} */
function translator(name) {
    if (!translators.has(name)) {
        const fn = /** @type {any} */ (globalThis).SillyTavern?.getContext?.()[name];
        if (typeof fn !== 'function') return undefined;
        translators.set(name, fn);
    }
    return translators.get(name);
}

/**
 * SillyTavern's translator as a template tag: looks up "text ${0}" keys in the i18n files
 * and fills in the values (plain English where it is unavailable).
 * @param {readonly string[]} strings @param {any[]} values
 */
export function t(strings, ...values) {
    const translate = translator('t');
    return typeof translate === 'function' ? translate(strings, ...values) : String.raw({ raw: strings }, ...values);
}

/**
 * A short label under our own key. SillyTavern's i18n keys are global: defining a plain
 * "Cancel" or "Save" would relabel SillyTavern's own buttons with that key, so short words
 * always get an `iig_` key.
 * @param {string} key @param {string} text English
 */
export function tk(key, text) {
    const translate = translator('translate');
    return typeof translate === 'function' ? translate(text, key) : text;
}

/** Members the extension cannot work without. */
const REQUIRED = ['chat', 'eventSource', 'eventTypes', 'updateMessageBlock', 'saveChat', 'extensionSettings',
    'saveSettingsDebounced', 'SlashCommandParser', 'getCurrentChatId'];

/** @returns {string[]} names of required members that are missing */
export function missingApi() {
    const st = /** @type {any} */ (globalThis).SillyTavern;
    if (typeof st?.getContext !== 'function') return ['SillyTavern.getContext'];
    const c = st.getContext();
    return REQUIRED.filter((name) => c[name] === undefined);
}

/**
 * @param {string} message @param {'info'|'warning'|'error'|'success'} [kind]
 * @param {{timeOut?: number, closeButton?: boolean}} [options] toastr's own
 */
export function toast(message, kind = 'info', options) {
    const toastr = /** @type {any} */ (globalThis).toastr;
    if (toastr?.[kind]) toastr[kind](message, 'Inline Images', options);
    else log.info(message);
}

/** Toasts that could repeat per image are shown once per `key` per minute. */
const lastShown = new Map();
/** @param {string} key @param {string} message @param {'info'|'warning'|'error'|'success'} [kind] */
export function toastOnce(key, message, kind = 'warning') {
    const now = Date.now();
    if (now - (lastShown.get(key) ?? -Infinity) < 60_000) return;
    lastShown.set(key, now);
    toast(message, kind);
}

/** The Image Generation command, looked up at call time (it registers after us). */
export function sdCommand() {
    const commands = ctx().SlashCommandParser?.commands;
    return commands?.sd ?? commands?.imagine ?? null;
}
