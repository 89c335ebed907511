// @ts-check
/**
 * Replies being streamed: each new piece of text is scanned for tags that just became
 * complete, whose pictures start at once. And the one answer to "is SillyTavern still writing
 * this message?": while it is, a write of ours would be wiped by its next tick.
 */
import { ctx } from '../st.js';
import { parseTags, TagScanner } from '../format/tags.js';

/** @typedef {import('../types').ChatMessage} ChatMessage */
/** @typedef {{scanner: TagScanner, base: number, swipeId: number}} StreamState */

export class Streams {
    /**
     * @param {object} deps
     * @param {import('../picture/jobs.js').Jobs} deps.jobs
     * @param {() => import('../types').Settings} deps.settings
     */
    constructor(deps) {
        this.deps = deps;
        /** Messages whose text SillyTavern is streaming. @type {Map<ChatMessage, StreamState>} */
        this.streams = new Map();
    }

    /**
     * A streamed reply began on `message`. `priorText` is text the stream continues (for
     * `continue`), whose tags keep their own ordinals.
     * @param {ChatMessage} message @param {number} swipeId @param {string} priorText
     */
    started(message, swipeId, priorText) {
        this.streams.set(message, { scanner: new TagScanner(), base: parseTags(priorText).length, swipeId });
    }

    /**
     * New streamed text (cumulative for this stream). Only the new part is scanned; a tag
     * starts its picture the moment its closing `>` arrives.
     * @param {ChatMessage} message @param {string} text
     */
    text(message, text) {
        const state = this.streams.get(message);
        if (!state) return;
        const fresh = state.scanner.feed(text);
        if (!fresh.length || !this.deps.settings().generateWhileStreaming) return;
        const { jobs } = this.deps;
        for (const tag of fresh) {
            const ordinal = state.base + tag.ordinal;
            if (!jobs.overCap(ordinal)) jobs.ensure(message, state.swipeId, ordinal, tag.prompt, tag.shape);
        }
    }

    /** STREAM_TOKEN_RECEIVED: the whole text so far of the message being streamed. @param {string} text */
    onToken(text) {
        if (!this.deps.settings().enabled) return;
        const target = this.target();
        if (!target) return;
        const { message, sp } = target;
        if (!this.streams.has(message)) {
            this.started(message, message.swipe_id ?? 0, sp.type === 'continue' ? String(sp.continueMessage ?? '') : '');
        }
        this.text(message, text);
    }

    /** The reply is final: draw its tags. @param {ChatMessage} message */
    finished(message) {
        this.streams.delete(message);
        this.deps.jobs.drawMessage(message);
    }

    /** The text no longer moves, but nothing new is drawn (the extension is off). @param {ChatMessage} message */
    settle(message) {
        this.streams.delete(message);
        this.deps.jobs.release(message);
    }

    /** Whether we are following this message's stream (its text still moves). @param {ChatMessage} message */
    has(message) {
        return this.streams.has(message);
    }

    /** The messages whose streams we follow. */
    messages() {
        return [...this.streams.keys()];
    }

    /** Whether SillyTavern is still writing this message's text (a stream that failed is over). @param {ChatMessage} message */
    isWriting(message) {
        return this.streams.has(message) || this.target()?.message === message;
    }

    /** The reply SillyTavern is streaming now (not an impersonation), if any. */
    target() {
        const c = ctx();
        const sp = c.streamingProcessor;
        if (!sp || sp.messageId < 0 || sp.type === 'impersonate' || sp.isFinished || sp.isStopped) return null;
        const message = c.chat[sp.messageId];
        return message ? { message, sp } : null;
    }

    /** Another chat is open: streams of the chat left behind are over, their pictures written (or kept). @param {ChatMessage[]} chat */
    chatOpened(chat) {
        const present = new Set(chat);
        for (const message of this.messages()) if (!present.has(message)) this.settle(message);
    }
}
