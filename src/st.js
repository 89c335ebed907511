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

/**
 * SillyTavern's translator as a template tag: looks up "text ${0}" keys in the i18n files
 * and fills in the values (plain English where it is unavailable).
 * @param {readonly string[]} strings @param {any[]} values
 */
export function t(strings, ...values) {
    const translate = /** @type {any} */ (globalThis).SillyTavern?.getContext?.().t;
    return typeof translate === 'function' ? translate(strings, ...values) : String.raw({ raw: strings }, ...values);
}

/**
 * A short label under our own key. SillyTavern's i18n keys are global: defining a plain
 * "Cancel" or "Save" would relabel SillyTavern's own buttons with that key, so short words
 * always get an `iig_` key.
 * @param {string} key @param {string} text English
 */
export function tk(key, text) {
    const translate = /** @type {any} */ (globalThis).SillyTavern?.getContext?.().translate;
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

/** @param {string} message @param {'info'|'warning'|'error'|'success'} [kind] */
export function toast(message, kind = 'info') {
    const toastr = /** @type {any} */ (globalThis).toastr;
    if (toastr?.[kind]) toastr[kind](message, 'Inline Images');
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

/**
 * Rewrite one swipe of a message in place, then tell SillyTavern the way an edit does:
 * MESSAGE_EDITED → updateMessageBlock → MESSAGE_UPDATED → save. `transform` receives the text
 * as it is *now* and returns the new text, or null to leave it alone; nothing is awaited
 * between reading and writing, so no stale copy can be written back.
 * @param {import('./types').ChatMessage} message
 * @param {number} swipeId
 * @param {(text: string) => string|null} transform
 * @returns {Promise<'written'|'unchanged'|'gone'>}
 */
export async function rewriteMessage(message, swipeId, transform) {
    const c = ctx();
    const index = c.chat.indexOf(message);
    if (index < 0) return 'gone';
    const current = (message.swipe_id ?? 0) === swipeId;
    const before = current ? message.mes : message.swipes?.[swipeId];
    if (typeof before !== 'string') return 'gone';
    const after = transform(before);
    if (after === null || after === before) return 'unchanged';
    if (current) message.mes = after;
    if (Array.isArray(message.swipes) && swipeId < message.swipes.length) message.swipes[swipeId] = after;
    const { eventSource, eventTypes } = c;
    if (current) {
        await eventSource.emit(eventTypes.MESSAGE_EDITED, index);
        // The index may have moved while listeners ran; render where the message is now.
        const now = ctx().chat.indexOf(message);
        if (now >= 0) c.updateMessageBlock(now, message);
        await eventSource.emit(eventTypes.MESSAGE_UPDATED, now >= 0 ? now : index);
    }
    await c.saveChat();
    return 'written';
}
