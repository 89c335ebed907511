// @ts-check
/**
 * Finding a message again after its chat was closed and reopened. The message objects are
 * new then, and an index alone can point at another message (one deleted above it, or a
 * different chat file under the same name), so a message is known by what SillyTavern saves
 * with it and never changes: its send date, speaker name and side, checked at the index first.
 * Pure: plain objects in, plain values out; no SillyTavern, no DOM.
 */

/** @typedef {{index: number, swipeId: number, sendDate: string, name: string, isUser: boolean}} MessageIdentity */

/**
 * The send date of one swipe: each swipe keeps its own in `swipe_info`, while the message's
 * `send_date` follows whichever swipe is shown.
 * @param {any} message @param {number} swipeId
 */
function sendDateOf(message, swipeId) {
    return String(message?.swipe_info?.[swipeId]?.send_date ?? message?.send_date ?? '');
}

/**
 * @param {any} message @param {number} index @param {number} [swipeId]
 * @returns {MessageIdentity}
 */
export function identify(message, index, swipeId = message?.swipe_id ?? 0) {
    return {
        index,
        swipeId,
        sendDate: sendDateOf(message, swipeId),
        name: String(message?.name ?? ''),
        isUser: Boolean(message?.is_user),
    };
}

/**
 * @param {any} message @param {MessageIdentity} identity
 */
function matches(message, identity) {
    return Boolean(message) && typeof message === 'object'
        && sendDateOf(message, identity.swipeId) === identity.sendDate
        && String(message.name ?? '') === identity.name
        && Boolean(message.is_user) === identity.isUser;
}

/**
 * Where the message is in `chat` now, or -1: by send date and speaker, at its index first.
 * @param {ArrayLike<any>} chat @param {MessageIdentity} identity
 * @param {(message: any) => boolean} [accept] a check of the content (e.g. it still holds the tag): picks among
 *   look-alikes, and when given, also finds a message whose date changed (see below)
 * @returns {number}
 */
export function locate(chat, identity, accept) {
    const ok = accept ?? (() => true);
    const at = chat[identity.index];
    if (matches(at, identity) && ok(at)) return identity.index;
    if (identity.sendDate) {
        for (let i = 0; i < chat.length; i++) {
            if (i !== identity.index && matches(chat[i], identity) && ok(chat[i])) return i;
        }
    }
    // The date can differ from the one in memory when the chat was left mid-reply (SillyTavern
    // stamps a reply when it ends). With a check of the content, the same speaker at the same
    // place, or else the only message of that speaker that passes it, is still the message.
    if (!accept) return -1;
    const sameSpeaker = (/** @type {any} */ m) => Boolean(m) && String(m.name ?? '') === identity.name && Boolean(m.is_user) === identity.isUser;
    if (sameSpeaker(at) && accept(at)) return identity.index;
    let found = -1;
    for (let i = 0; i < chat.length; i++) {
        if (!sameSpeaker(chat[i]) || !accept(chat[i])) continue;
        if (found >= 0) return -1; // two candidates: not sure which
        found = i;
    }
    return found;
}
