// @ts-check
/**
 * A picture's record (PictureRecord in types.d.ts), the one shape a picture has from its tag
 * to its message: finding its message in a chat, the plain copy kept for a chat that is not
 * open, and reading kept copies back, those of earlier versions included. Pure.
 */
import { identify, locate } from './identity.js';
import { parseTags } from '../format/tags.js';

/** @typedef {import('../types').PictureRecord} PictureRecord */
/** @typedef {import('../types').ChatMessage} ChatMessage */

/**
 * Whether that swipe of the message still holds a tag with this prompt.
 * @param {any} message @param {number} swipeId @param {string} prompt
 */
function holdsTag(message, swipeId, prompt) {
    const text = (message?.swipe_id ?? 0) === swipeId ? message?.mes : message?.swipes?.[swipeId];
    return typeof text === 'string' && parseTags(text).some((t) => t.prompt === prompt);
}

/**
 * The record's message in `chat` (the chat's new objects after it was closed and reopened):
 * the same message by what SillyTavern saves with it, still holding the tag. Null when gone.
 * @param {ChatMessage[]} chat @param {PictureRecord} record
 * @returns {ChatMessage | null}
 */
export function findMessage(chat, record) {
    const at = locate(chat, record.identity, (m) => holdsTag(m, record.swipeId, record.prompt));
    return at >= 0 ? chat[at] : null;
}

/**
 * A plain copy of a job's record, its identity read from the message as it is now (a reply
 * gets its final send date when it ends).
 * @param {PictureRecord & {message: ChatMessage}} job
 * @param {number} index where the message is in the open chat, -1 when it is not there
 * @returns {PictureRecord}
 */
export function recordOf(job, index) {
    return {
        chatId: job.chatId, identity: identify(job.message, index >= 0 ? index : job.identity.index, job.swipeId),
        swipeId: job.swipeId, ordinal: job.ordinal, prompt: job.prompt,
        ...(job.sent ? { sent: copySent(job.sent) } : {}),
        ...(job.src ? { src: job.src } : {}),
        ...(job.replaceSrc ? { replaceSrc: job.replaceSrc } : {}),
        ...(job.at ? { at: job.at } : {}),
    };
}

/**
 * What was sent, as a plain copy with only the fields it may have (a negative and a size only
 * when there were some).
 * @param {any} sent @returns {import('../types').Sent}
 */
function copySent(sent) {
    const size = Number.isSafeInteger(sent.width) && Number.isSafeInteger(sent.height) && sent.width > 0 && sent.height > 0;
    return {
        prompt: String(sent.prompt), seed: Number.isSafeInteger(sent.seed) ? sent.seed : null,
        ...(typeof sent.negative === 'string' && sent.negative ? { negative: sent.negative } : {}),
        ...(size ? { width: sent.width, height: sent.height } : {}),
    };
}

const isText = (/** @type {unknown} */ v) => typeof v === 'string';
const isOptionalText = (/** @type {unknown} */ v) => v === undefined || typeof v === 'string';

/** @param {any} id */
function isIdentity(id) {
    return Boolean(id) && typeof id === 'object' && Number.isInteger(id.index) && isText(id.sendDate)
        && (id.swipeId === undefined || Number.isInteger(id.swipeId));
}

/**
 * A kept record as saved by this version or an earlier one, or null when it is not readable.
 * Version 1.2.0 saved `sent` as the prompt text alone (the seed went unsaved), and no
 * `swipeId`, `name` or `isUser` in a hand-edited identity is taken as the defaults.
 * @param {any} raw
 * @returns {PictureRecord & {src: string, at: number} | null}
 */
export function readRecord(raw) {
    if (!raw || typeof raw !== 'object' || !isText(raw.chatId) || !isText(raw.prompt) || !isText(raw.src)) return null;
    if (!Number.isInteger(raw.swipeId) || !Number.isInteger(raw.ordinal) || !Number.isFinite(raw.at)) return null;
    if (!isIdentity(raw.identity) || !isOptionalText(raw.replaceSrc)) return null;
    /** @type {import('../types').Sent | undefined} */
    let sent;
    if (typeof raw.sent === 'string') sent = { prompt: raw.sent, seed: null };
    else if (raw.sent && typeof raw.sent === 'object' && isText(raw.sent.prompt)) sent = copySent(raw.sent);
    else if (raw.sent !== undefined) return null;
    const { index, sendDate } = raw.identity;
    return {
        chatId: raw.chatId, swipeId: raw.swipeId, ordinal: raw.ordinal, prompt: raw.prompt, src: raw.src, at: raw.at,
        identity: { index, swipeId: raw.identity.swipeId ?? raw.swipeId, sendDate, name: String(raw.identity.name ?? ''), isUser: Boolean(raw.identity.isUser) },
        ...(sent ? { sent } : {}),
        ...(raw.replaceSrc ? { replaceSrc: raw.replaceSrc } : {}),
    };
}
