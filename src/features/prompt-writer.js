// @ts-check
/**
 * The prompt writer: a separate request, after a reply is final, that returns image prompts
 * and the place each goes (prompts/placement.js). The tags are written into the stored message
 * through the one write path, and then drawn like the story model's own.
 *
 * Boundaries: it runs after the generation ended (never awaited inside an event listener, so
 * it never delays the reply); its request is a raw one (no meta-prompt, no jobs); it is
 * cancelled, and writes nothing, when its message is deleted, regenerated or swiped away, or
 * the chat changes; a message whose text changed meanwhile is left alone.
 */
import { ctx, t, toastOnce } from '../st.js';
import { errorText, log } from '../log.js';
import { untilAborted } from '../abort.js';
import { parseTags, stripTags } from '../format/tags.js';
import { pruneText } from '../format/prune.js';
import { countWords } from '../format/text.js';
import { placeTags } from '../prompts/placement.js';
import { WRITER_SCHEMA, readWriterAnswer } from '../prompts/writer-answer.js';
import { writerMessages } from '../prompts/prompt-writer-request.js';
import { openChatId } from '../chat/open-chat.js';

/** @typedef {import('../types').ChatMessage} ChatMessage */

/** When the user sets no cap, the writer is asked for at most this many. */
const DEFAULT_WRITER_MAX = 6;
const MAX_TOKENS = 800;

/** A message as the writer reads it: without our pictures and without image prompt tags. @param {string} text */
function plainText(text) {
    return stripTags(pruneText(text));
}

/** Words of prose: our pictures and any other markup do not count. @param {string} text */
function wordCount(text) {
    return countWords(pruneText(text).replace(/<[^>]*>/g, ' '));
}

export class PromptWriter {
    /**
     * @param {object} deps
     * @param {() => import('../types').Settings} deps.settings
     * @param {import('../chat/write-path.js').WritePath} deps.writePath
     * @param {(message: ChatMessage) => void} deps.finished the tags are in: draw them
     * @param {(message: ChatMessage) => void} deps.refresh
     * @param {() => string} deps.cast the cast block for the open chat
     * @param {() => string} deps.instructions the selected writer preset's text
     */
    constructor(deps) {
        this.deps = deps;
        /** @type {Map<ChatMessage, {controller: AbortController, swipeId: number, chatId: string}>} */
        this.running = new Map();
        /** Replies waiting for the generation to end: message -> where its new text starts. @type {Map<ChatMessage, number>} */
        this.waiting = new Map();
    }

    /** @param {ChatMessage} message */
    isWriting(message) {
        return this.running.has(message);
    }

    get idle() {
        return this.running.size === 0 && this.waiting.size === 0;
    }

    /**
     * A reply is final: queue it for the writer if the mode calls for it. `from` is where its
     * new text starts (a continue's earlier part is not illustrated again).
     * @param {ChatMessage} message @param {number} [from]
     */
    replyFinished(message, from = 0) {
        const s = this.deps.settings();
        if (!s.enabled || s.promptMode === 'inline' || message.is_user || message.is_system) return;
        const text = String(message.mes ?? '');
        const fresh = text.slice(from);
        if (s.promptMode === 'auto' && (parseTags(fresh).length > 0 || wordCount(fresh) < s.writerMinWords)) return;
        if (s.promptMode === 'separate' && parseTags(fresh).length > 0) return; // the model wrote its own
        if (!wordCount(fresh)) return;
        this.waiting.set(message, from);
    }

    /** The generation ended: start the writer for the replies that wait (not awaited). */
    generationEnded() {
        for (const [message, from] of [...this.waiting]) {
            this.waiting.delete(message);
            void this.run(message, from).catch((error) => log.error('the prompt writer failed', error));
        }
    }

    /** Stop what no longer applies: a message deleted, swiped, regenerated; another chat. */
    prune() {
        const chat = ctx().chat;
        const open = openChatId();
        for (const [message, job] of this.running) {
            if (job.chatId !== open || !chat.includes(message) || (message.swipe_id ?? 0) !== job.swipeId) {
                job.controller.abort(new Error('its message is gone or no longer shown'));
            }
        }
        for (const message of [...this.waiting.keys()]) if (!chat.includes(message)) this.waiting.delete(message);
    }

    /** A new generation replaces or extends the last message: its writer is off. */
    generationStarted(/** @type {string} */ type) {
        if (!['regenerate', 'swipe', 'continue'].includes(type)) return;
        const last = ctx().chat.at(-1);
        this.running.get(last)?.controller.abort(new Error(`the message is being ${type === 'continue' ? 'continued' : 'regenerated'}`));
        this.waiting.delete(last);
    }

    /**
     * Ask for prompts for the text of `message` from `from` on, and write their tags.
     * @param {ChatMessage} message @param {number} [from]
     * @returns {Promise<number>} how many tags were written
     */
    async run(message, from = 0) {
        if (this.running.has(message)) return 0;
        const swipeId = message.swipe_id ?? 0;
        const chatId = openChatId();
        const original = String(message.mes ?? '');
        const controller = new AbortController();
        this.running.set(message, { controller, swipeId, chatId });
        this.deps.refresh(message);
        try {
            const { messages, max } = this.request(message, original.slice(from));
            for (let attempt = 1; attempt <= 2; attempt++) {
                const answer = await this.ask(messages, controller.signal);
                if (!this.stillShown(message, swipeId, chatId, controller)) return 0;
                const { items, dropped } = readWriterAnswer(answer, { max });
                if (!items.length) {
                    log.warn(`the prompt writer's answer had no usable image prompts (attempt ${attempt} of 2)`);
                    continue;
                }
                if (dropped) log.info(`ignored ${dropped} unusable, repeated or extra prompt(s) from the prompt writer`);
                return await this.place(message, { swipeId, chatId, original, from }, items);
            }
            toastOnce('writer-empty', t`The prompt writer's answer had no usable image prompts. The message was left as it was.`);
            return 0;
        } catch (error) {
            if (controller.signal.aborted) {
                log.info(`prompt writer stopped: ${errorText(controller.signal.reason)}`);
                return 0;
            }
            toastOnce('writer-failed', t`The prompt writer could not be asked: ${errorText(error)}. Check its connection profile in the Inline Images settings.`, 'error');
            return 0;
        } finally {
            this.running.delete(message);
            this.deps.refresh(message);
        }
    }

    /**
     * The request for a reply's text: the instructions, a few messages before it, the cast.
     * @param {ChatMessage} message @param {string} reply the text to illustrate
     */
    request(message, reply) {
        const c = ctx();
        const s = this.deps.settings();
        const index = c.chat.indexOf(message);
        const context = c.chat.slice(Math.max(0, index - s.writerContext), Math.max(0, index))
            .filter((/** @type {any} */ m) => !m.is_system)
            .map((/** @type {any} */ m) => ({ name: String(m.name ?? ''), text: plainText(String(m.mes ?? '')) }));
        const max = s.maxPerReply > 0 ? s.maxPerReply : DEFAULT_WRITER_MAX;
        const messages = writerMessages({ instructions: this.deps.instructions(), reply, context, cast: this.deps.cast(), max, words: s.wordInterval });
        return { messages, max };
    }

    /**
     * Write the tags into the reply through the one write path, unless its text changed
     * meanwhile (the user or another extension changed it: leave it), then draw them.
     * @param {ChatMessage} message @param {{swipeId: number, chatId: string, original: string, from: number}} at
     * @param {Parameters<typeof placeTags>[1]} items
     */
    async place(message, { swipeId, chatId, original, from }, items) {
        let written = 0;
        const { status } = await this.deps.writePath.rewrite(message, swipeId, (text) => {
            if (text !== original) return null;
            const placed = placeTags(original.slice(from), items);
            written = placed.placed.length;
            return original.slice(0, from) + placed.text;
        }, { chatId });
        if (status !== 'written') {
            log.info(`prompt writer: nothing written (${status === 'unchanged' ? 'the message changed meanwhile' : status})`);
            return 0;
        }
        log.info(`prompt writer: ${written} image prompt(s) written into the reply`);
        this.deps.finished(message);
        return written;
    }

    /** @param {ChatMessage} message @param {number} swipeId @param {string} chatId @param {AbortController} controller */
    stillShown(message, swipeId, chatId, controller) {
        if (controller.signal.aborted) return false;
        return openChatId() === chatId && ctx().chat.includes(message) && (message.swipe_id ?? 0) === swipeId;
    }

    /**
     * One request: through the chosen Connection Profile, else the current connection.
     * @param {Array<{role: string, content: string}>} messages @param {AbortSignal} signal
     * @returns {Promise<unknown>}
     */
    async ask(messages, signal) {
        const c = ctx();
        const profileName = this.deps.settings().writerProfile;
        /** @type {Promise<unknown>} */
        let request;
        if (profileName) {
            const service = c.ConnectionManagerRequestService;
            if (!service?.sendRequest) throw new Error(t`Connection profiles are not available (is the Connection Manager extension on?)`);
            const profiles = c.extensionSettings?.connectionManager?.profiles ?? [];
            const profile = profiles.find((/** @type {any} */ p) => p?.name === profileName || p?.id === profileName);
            if (!profile) throw new Error(t`there is no connection profile called "${profileName}"`);
            request = service.sendRequest(profile.id, messages, MAX_TOKENS, { stream: false, signal, extractData: true, includePreset: true });
        } else {
            if (typeof c.generateRaw !== 'function') throw new Error('this SillyTavern has no generateRaw');
            const system = messages.find((m) => m.role === 'system')?.content ?? '';
            const user = messages.filter((m) => m.role !== 'system').map((m) => m.content).join('\n\n');
            // Structured output where chat completion offers it; an answer that is not valid JSON
            // still comes back as text (returnInvalid) for the lenient reader.
            const jsonSchema = c.mainApi === 'openai' ? { ...WRITER_SCHEMA, returnInvalid: true } : undefined;
            request = c.generateRaw({ prompt: user, systemPrompt: system, responseLength: MAX_TOKENS, ...(jsonSchema ? { jsonSchema } : {}) });
        }
        const answer = await untilAborted(request, signal);
        return typeof answer === 'string' ? answer : /** @type {any} */ (answer)?.content ?? answer;
    }
}
