// @ts-check
/**
 * Saving the chat for our own writes, without ever getting in the way of SillyTavern's saves.
 *
 * Why not `getContext().saveChat()` (SillyTavern's `saveChatConditional`): it first waits
 * for the `isChatSaving` flag with `waitUntilCondition`, whose first check comes only after
 * its 100 ms interval, then sets the flag and saves whatever chat is open *then*. Opening or
 * creating a chat waits for the same flag with a 10 ms interval and then clears the chat. So
 * a save of ours holding the flag when a reply ends makes SillyTavern's own save of that
 * reply wait; a chat switch in the meantime goes first, and SillyTavern's save then writes
 * the new chat: the reply is never saved (seen: a reply lost on `/newchat` 50 ms after
 * MESSAGE_RECEIVED). The same wait also holds up Send (sendMessageAsUser saves first) and,
 * after 1 s of waiting, skips the save with only a console warning.
 *
 * So this module never takes that flag. It saves the open chat itself, with the same request
 * SillyTavern makes, built synchronously in the same task that checked the chat is the one
 * our change is in; it waits while SillyTavern is saving or generating (SillyTavern saves a
 * reply at its end anyway), and batches: one request in flight at a time, for every change
 * made before it.
 */
import { ctx } from '../st.js';
import { log } from '../log.js';

/** SillyTavern's `isChatSaving`, read live from its module (not part of getContext()). */
/** @type {null | (() => boolean)} */
let coreIsSaving = null;
/** @type {null | (() => boolean)} */
let coreIsGenerating = null;
// src/chat/ -> src/ -> extension folder -> third-party -> extensions -> scripts -> the site root.
const CORE_URL = new URL('../../../../../../script.js', import.meta.url).href;
const coreReady = import(/* webpackIgnore: true */ CORE_URL).then((core) => {
    if (typeof core.isChatSaving === 'boolean') coreIsSaving = () => Boolean(core.isChatSaving);
    if (typeof core.isGenerating === 'function') coreIsGenerating = () => Boolean(core.isGenerating());
}).catch((error) => log.warn('cannot read SillyTavern\'s save state; saving only when idle', error));

/** Delay before a save, so pictures finishing together share one request. */
const BATCH_MS = 250;
/** How often to look again while SillyTavern is saving or generating. */
const BUSY_RETRY_MS = 150;

/**
 * @typedef {object} SaverDeps
 * @property {() => boolean} [busy] more reasons to wait (a generation the extension tracks)
 * @property {(url: string, init: RequestInit) => Promise<Response>} [fetch]
 * @property {() => Promise<void>} [replyHandled] resolves when the reply's listeners are done (default: `replyListenersDone`)
 */

/** How long the early save waits for the reply's listeners at most. */
const REPLY_LISTENERS_MS = 1000;

/**
 * Resolves when SillyTavern has run the reply's MESSAGE_RECEIVED listeners: at its
 * CHARACTER_MESSAGE_RENDERED (which follows them in every path), at a chat switch, or after
 * a second, whichever comes first; at once without an event source.
 * @returns {Promise<void>}
 */
export function replyListenersDone() {
    const { eventSource, eventTypes } = ctx();
    if (!eventSource?.on || !eventSource.removeListener) return Promise.resolve();
    return new Promise((resolve) => {
        const events = [eventTypes.CHARACTER_MESSAGE_RENDERED, eventTypes.CHAT_CHANGED].filter(Boolean);
        const done = () => {
            clearTimeout(timer);
            for (const event of events) eventSource.removeListener(event, done);
            resolve();
        };
        const timer = setTimeout(done, REPLY_LISTENERS_MS);
        for (const event of events) eventSource.on(event, done);
    });
}

export class ChatSaver {
    /** @param {SaverDeps} [deps] */
    constructor(deps = {}) {
        this.deps = deps;
        /** Waiters per chat id, each resolved with whether a save that includes its change succeeded;
         * `since` is when the change was made, on the clock of `mark()`.
         * @type {Map<string, Array<{resolve: (saved: boolean) => void, since: number}>>} */
        this.waiting = new Map();
        /** A clock that moves at each change marked and each chat turned into a request. */
        this.clock = 0;
        /** Per chat id, the clock when the newest save of ours that succeeded was taken.
         * @type {Map<string, number>} */
        this.savedAt = new Map();
        this.inFlight = false;
        /** @type {ReturnType<typeof setTimeout> | 0} */
        this.timer = 0;
    }

    /** Whether nothing is waiting or being written (for tests and the idle check). */
    get idle() {
        return !this.inFlight && this.waiting.size === 0;
    }

    /** Now, on the clock that orders changes and saves: a change marked before a save was taken is in it. */
    mark() {
        return ++this.clock;
    }

    /**
     * The open chat `chatId` holds a change of ours: save it soon. Resolves true once a save
     * taken after the change succeeded, false if that chat was closed first or the save failed
     * (the caller keeps what it needs to write the change again). A save taken after the
     * change and already done (the early save of a reply, when the reply's pictures were
     * written before it was taken) counts: no second save for it.
     * @param {string} chatId
     * @param {number} [since] when the change was made (`mark()`); by default, now
     * @returns {Promise<boolean>}
     */
    request(chatId, since = this.mark()) {
        if ((this.savedAt.get(chatId) ?? 0) > since) return Promise.resolve(true);
        return new Promise((resolve) => {
            const list = this.waiting.get(chatId) ?? [];
            list.push({ resolve, since });
            this.waiting.set(chatId, list);
            this.schedule(BATCH_MS);
        });
    }

    /**
     * A save of `chatId` taken at `taken` ended: remember it, and answer the waiters whose
     * change it holds.
     * @param {string} chatId @param {number} taken @param {boolean} ok
     * @param {Array<{resolve: (saved: boolean) => void, since: number}>} list
     */
    settle(chatId, taken, ok, list) {
        if (ok) this.savedAt.set(chatId, Math.max(taken, this.savedAt.get(chatId) ?? 0));
        for (const { resolve } of list) resolve(ok);
    }

    /**
     * Save the open chat early, whatever is running: for a reply that just arrived.
     * SillyTavern saves it only 0.1-0.3 s after the reply's listeners (its flag wait), and a
     * chat opened or created in between clears the chat first, so its save then writes the
     * other chat and the reply is lost even without any extension. This copy is taken in
     * this task, before anything can switch the chat, and sent once the reply's listeners
     * are done, ahead of SillyTavern's own save, which is neither delayed (the flag is not
     * taken) nor skipped.
     * @returns {Promise<boolean>}
     */
    async saveNow() {
        // Only the snapshot is taken here, inside the reply's MESSAGE_RECEIVED: copying the
        // list of messages is cheap; turning the whole chat into JSON is not (tens of ms in a
        // chat of thousands of messages), and it waits until the reply's listeners (other
        // extensions') are done, and then for the next task: still before SillyTavern's own
        // save, which begins at least 100 ms after them. The snapshot holds the messages
        // themselves, so a chat switched meanwhile does not change it.
        const chatId = String(ctx().getCurrentChatId() ?? '');
        let snapshot = captureSave();
        if (!snapshot) return false;
        const reply = ctx().chat.at(-1);
        const length = ctx().chat.length;
        await (this.deps.replyHandled ?? replyListenersDone)();
        await new Promise((resolve) => setTimeout(resolve, 0));
        // The same chat, the reply where it was: take it again, with what was written since
        // (the reply's pictures), and let it answer those changes' waiters: one save for both.
        /** @type {Array<{resolve: (saved: boolean) => void, since: number}>} */
        let covered = [];
        const same = chatId !== '' && String(ctx().getCurrentChatId() ?? '') === chatId && ctx().chat[length - 1] === reply;
        const again = same ? captureSave() : null;
        const taken = this.mark();
        if (again) {
            snapshot = again;
            covered = this.waiting.get(chatId) ?? [];
            this.waiting.delete(chatId);
        }
        // (Another chat open: the snapshot of the reply's chat goes as it was, and answers no one.)
        const request = toRequest(snapshot);
        let ok = false;
        try {
            const response = await (this.deps.fetch ?? fetch)(request.url, request.init);
            ok = response.ok;
        } catch (error) {
            log.warn('could not save the reply early; SillyTavern\'s own save follows', error);
        }
        if (again) this.settle(chatId, taken, ok, covered);
        return ok;
    }

    /** @param {number} ms */
    schedule(ms) {
        if (this.timer || this.inFlight) return;
        this.timer = setTimeout(() => {
            this.timer = 0;
            void this.flush();
        }, ms);
    }

    /** Why a save must wait now, or null. */
    busyReason() {
        if (coreIsSaving?.()) return 'SillyTavern is saving';
        if (coreIsGenerating?.()) return 'a generation is running';
        if (this.deps.busy?.()) return 'a generation is running';
        return null;
    }

    async flush() {
        await coreReady;
        if (this.inFlight) return;
        const openId = String(ctx().getCurrentChatId() ?? '');
        // Changes to chats that are no longer open cannot be saved from here: that chat's
        // messages left memory with it. Their owners keep the change and write it again.
        for (const [chatId, list] of [...this.waiting]) {
            if (chatId === openId) continue;
            this.waiting.delete(chatId);
            for (const { resolve } of list) resolve(false);
        }
        const list = this.waiting.get(openId);
        if (!list) return;
        const busy = this.busyReason();
        if (busy) {
            log.trace(`save waits: ${busy}`);
            this.schedule(BUSY_RETRY_MS);
            return;
        }
        this.waiting.delete(openId);
        // Changes an early save taken after them has already saved need no other.
        const done = this.savedAt.get(openId) ?? 0;
        for (const { since, resolve } of list) if (since < done) resolve(true);
        const left = list.filter(({ since }) => since >= done);
        if (!left.length) return;
        // From here to the request, nothing is awaited: the snapshot is of the chat just checked.
        const taken = this.mark();
        const snapshot = captureSave();
        const request = snapshot && toRequest(snapshot);
        if (!request) {
            for (const { resolve } of left) resolve(false);
            return;
        }
        this.inFlight = true;
        let saved = false;
        try {
            const response = await (this.deps.fetch ?? fetch)(request.url, request.init);
            saved = response.ok;
            if (!saved) {
                const body = await response.json().catch(() => ({}));
                // An integrity mismatch means the file changed elsewhere (another tab): SillyTavern's
                // own next save asks the user what to do; overwriting it is not ours to decide.
                log.error(`could not save the chat (${response.status}${body?.error ? `: ${body.error}` : ''}); the pictures stay in memory and are written again next time`);
            }
        } catch (error) {
            log.error('could not save the chat', error);
        } finally {
            this.inFlight = false;
        }
        this.settle(openId, taken, saved, left);
        if (this.waiting.size) this.schedule(BATCH_MS);
    }
}

/**
 * What SillyTavern itself sends to save the open chat (script.js `saveChat`, group-chats.js
 * `saveGroupChat`), taken at this instant: the messages (the same objects), not yet JSON.
 * @typedef {{url: string, headers: any, body: Record<string, unknown>}} SaveSnapshot
 * @returns {SaveSnapshot | null}
 */
function captureSave() {
    const c = ctx();
    const header = { chat_metadata: { ...c.chatMetadata }, user_name: 'unused', character_name: 'unused' };
    const chat = [header, ...c.chat];
    const headers = c.getRequestHeaders?.() ?? { 'Content-Type': 'application/json' };
    if (c.groupId) {
        const group = c.groups?.find((/** @type {any} */ g) => g.id == c.groupId);
        if (!group?.chat_id) return null;
        return { url: '/api/chats/group/save', headers, body: { id: group.chat_id, chat, force: false } };
    }
    const character = c.characters?.[c.characterId];
    if (!character?.chat || !character.avatar) return null;
    return { url: '/api/chats/save', headers, body: { ch_name: character.name, file_name: character.chat, chat, avatar_url: character.avatar, force: false } };
}

/** @param {SaveSnapshot} snapshot @returns {{url: string, init: RequestInit}} */
function toRequest({ url, headers, body }) {
    return { url, init: { method: 'POST', headers, cache: 'no-cache', body: JSON.stringify(body) } };
}
