// @ts-check
/**
 * A reply's end: the final text (streamed or not, stopped, failed, continued) is drawn.
 * SillyTavern tells the end in different ways per kind of generation; this module turns them
 * into one `finished` (or `settle`, with the extension off) per reply, and puts the pictures
 * back into the earlier part of a continued message.
 */
import { ctx } from '../st.js';
import { log } from '../log.js';
import { pruneText, restoreContinuedText } from '../format/prune.js';

/** @typedef {import('../types').ChatMessage} ChatMessage */

export class ReplyLifecycle {
    /**
     * @param {object} deps
     * @param {import('./streams.js').Streams} deps.streams
     * @param {() => import('../types').Settings} deps.settings
     * @param {import('./generation.js').GenerationTracker} deps.tracker
     * @param {import('./write-path.js').WritePath} deps.writePath
     * @param {(message: ChatMessage) => void} deps.refresh
     * @param {() => void} deps.ended after a generation ended and its replies settled
     * @param {() => void} [deps.keepReply] save the open chat at once (the reply just arrived)
     * @param {import('../features/prompt-writer.js').PromptWriter} [deps.promptWriter]
     */
    constructor(deps) {
        this.deps = deps;
        /**
         * Messages being continued: their text from before (images included) and that text
         * pruned, as the interceptor left it. SillyTavern continues from the pruned copy and
         * writes it back with the new text.
         * @type {Map<ChatMessage, {original: string, pruned: string}>}
         */
        this.continued = new Map();
        /** @type {ReturnType<typeof setTimeout> | 0} */
        this.settleTimer = 0;
        /** Where a continued message's new text starts (its length before the continue). @type {Map<ChatMessage, number>} */
        this.continuedFrom = new Map();
    }

    /**
     * From the generate interceptor: a continue is about to start on the last message.
     * @param {string} type
     */
    beforeGeneration(type) {
        if (type !== 'continue') return;
        const c = ctx();
        const target = c.chat[c.chat.length - 1];
        if (target && typeof target.mes === 'string') this.continuedFrom.set(target, target.mes.length);
        if (typeof target?.mes === 'string' && target.mes.includes('data-iig')) {
            this.continued.set(target, { original: target.mes, pruned: pruneText(target.mes) });
        }
    }

    /** The display text of a message being continued, with the images of its earlier part.
     * @param {ChatMessage|undefined} message @param {string} mes */
    displayText(message, mes) {
        const entry = message ? this.continued.get(message) : undefined;
        return entry ? restoreContinuedText(mes, entry.original, entry.pruned) : mes;
    }

    /**
     * Put the images back into the part of a continued message that was there before.
     * @param {ChatMessage} message
     * @returns {((text: string) => string|null) | null} the change to make, or null when it was not continued
     */
    takeRestore(message) {
        const entry = this.continued.get(message);
        if (!entry) return null;
        this.continued.delete(message);
        return (text) => {
            const after = restoreContinuedText(text, entry.original, entry.pruned);
            return after === text ? null : after;
        };
    }

    /** Inside MESSAGE_RECEIVED: SillyTavern renders and saves the message after its listeners.
     * @param {ChatMessage} message @returns {boolean} whether the text changed */
    restoreContinued(message) {
        const restore = this.takeRestore(message);
        const changed = Boolean(restore) && this.deps.writePath.rewriteBeforeSillyTavernSaves(message, /** @type {any} */ (restore));
        if (changed) log.debug('put the images back into a continued message');
        return changed;
    }

    /** MESSAGE_RECEIVED @param {number} messageId @param {string} [type] 'first_message' for a new chat's greeting */
    onMessageReceived(messageId, type) {
        const message = ctx().chat[messageId];
        if (!message) return;
        const { streams } = this.deps;
        if (this.restoreContinued(message)) this.deps.refresh(message);
        if (!message.is_user && !message.is_system) this.deps.keepReply?.();
        if (!this.deps.settings().enabled || message.is_user || message.is_system) {
            streams.settle(message); // images already drawn are kept; no new ones start
            return;
        }
        streams.finished(message);
        // The prompt writer starts once the generation has ended, never inside this listener.
        const from = this.continuedFrom.get(message) ?? 0;
        this.continuedFrom.delete(message);
        // A new chat's greeting is the card's, not a reply: it is not illustrated by itself.
        if (type !== 'first_message') this.deps.promptWriter?.replyFinished(message, from);
    }

    /**
     * After a generation ends or stops, settle what MESSAGE_RECEIVED did not: SillyTavern sends
     * none when a swipe or continue fails mid-stream. Both steps are idempotent, so running
     * after a normal finish changes nothing.
     */
    generationEnded() {
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => {
            this.settleTimer = 0;
            // A new generation has begun: its own end settles everything then.
            if (this.deps.tracker.current) return;
            const { streams } = this.deps;
            const active = streams.target()?.message;
            for (const message of [...this.continued.keys()]) {
                if (message === active) continue;
                // No MESSAGE_RECEIVED came (a continue that failed mid-stream), so SillyTavern
                // saves nothing after us: this goes through the whole write path.
                const restore = this.takeRestore(message);
                if (restore) void this.deps.writePath.rewrite(message, message.swipe_id ?? 0, restore);
            }
            for (const message of streams.messages()) {
                if (message === active) continue;
                if (this.deps.settings().enabled && ctx().chat.includes(message)) {
                    streams.finished(message);
                    // SillyTavern sends no MESSAGE_RECEIVED after a streamed swipe or continue.
                    this.deps.promptWriter?.replyFinished(message, this.continuedFrom.get(message) ?? 0);
                } else {
                    streams.settle(message);
                }
            }
            this.continuedFrom.clear();
            this.deps.promptWriter?.generationEnded();
            this.deps.ended();
        }, 300);
    }

    /** Another chat is open: nothing of the old one is being continued or streamed any more. */
    chatChanged() {
        const present = new Set(ctx().chat);
        this.deps.streams.chatOpened(ctx().chat);
        for (const message of [...this.continued.keys()]) if (!present.has(message)) this.continued.delete(message);
        this.continuedFrom.clear();
    }

    get idle() {
        return !this.settleTimer;
    }
}
