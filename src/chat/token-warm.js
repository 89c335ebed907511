// @ts-check
/**
 * SillyTavern counts the tokens of every history message when it builds a chat-completion
 * prompt, one message after another, each a server request unless its count is cached, and it
 * counts what our generate interceptor left: the text without our pictures. The counts it caches
 * between replies (its prompt manager's dry runs, after a chat opens and after each reply) are
 * of the text with them, since dry runs skip the interceptors. So without help, every
 * illustrated message would miss the cache at Send, adding its request to the time before the
 * reply starts: one for the last reply, every illustrated message after a chat opens.
 *
 * TokenWarmer fills the cache in idle time with the counts Send will ask for: it takes the
 * messages of each dry run's prompt (exactly what SillyTavern counted: role, content with the
 * name prefix and macros applied, and name), prunes our pictures from them and counts them with
 * SillyTavern's own function, which stores each count under the key Send will look up.
 * Text-completion prompts have no dry run; there a pruned line is counted at its first Send.
 */
import { ctx } from '../st.js';
import { log } from '../log.js';
import { pruneText } from '../format/prune.js';

// SillyTavern's tokenizers.js: src/chat/ -> src/ -> extension folder -> third-party -> extensions -> scripts/
const TOKENIZERS_URL = new URL('../../../../../tokenizers.js', import.meta.url).href;

/** @typedef {{role: string, content: string, name?: string}} Counted */
/** @typedef {(message: Counted) => Promise<number>} CountFn */

/** @type {Promise<CountFn | null> | null} */
let counting = null;
/** SillyTavern's countTokensOpenAIAsync (not in getContext()), or null where it cannot be had. */
function countFunction() {
    counting ??= import(/* webpackIgnore: true */ TOKENIZERS_URL)
        .then((module) => (typeof module.countTokensOpenAIAsync === 'function' ? module.countTokensOpenAIAsync : null))
        .catch((error) => {
            log.warn('cannot reach SillyTavern\'s token counter; prompts may be built more slowly in illustrated chats', error);
            return null;
        });
    return counting;
}

/**
 * The messages of a prompt whose count at Send will differ from the one SillyTavern has: those
 * holding our pictures, as Send will count them (the same keys, in the same order, since the
 * cache key is the JSON of the object).
 * @param {unknown[]} chat a CHAT_COMPLETION_PROMPT_READY prompt @returns {Counted[]}
 */
export function prunedForCount(chat) {
    /** @type {Counted[]} */
    const out = [];
    for (const message of Array.isArray(chat) ? chat : []) {
        const m = /** @type {any} */ (message);
        if (!m || typeof m.role !== 'string' || typeof m.content !== 'string' || !m.content.includes('data-iig')) continue;
        const content = pruneText(m.content);
        if (content === m.content || !content) continue;
        out.push({ role: m.role, content });
        if (typeof m.name === 'string' && m.name) out.push({ role: m.role, content, name: m.name });
    }
    return out;
}

/** A prompt message's text as SillyTavern counts it. @param {string} text */
const counted = (text) => text.replace(/\r/gm, '');

/**
 * The messages just older than a dry run's prompt, as Send will count them. Pruned,
 * the history is shorter, so Send fits more of it than the dry run did: the messages past the
 * dry run's window, up to as many again as it held. Their text is made as SillyTavern makes it
 * (the speaker's name before it when the prompt's messages have one, then the macros), learnt
 * from the messages the dry run did hold; a message whose text SillyTavern makes otherwise
 * (a prompt-only regex script) is simply counted at Send, as before.
 * @param {ReadonlyArray<any>} history the chat's messages
 * @param {unknown[]} prompt the dry run's prompt
 * @param {(text: string) => string} [substitute] SillyTavern's macros
 * @returns {Counted[]} oldest first
 */
export function beyondPrompt(history, prompt, substitute = (text) => text) {
    const inPrompt = new Set(prompt.map((m) => /** @type {any} */ (m)?.content).filter((c) => typeof c === 'string'));
    const role = (/** @type {any} */ m) => (m.is_user ? 'user' : 'assistant');
    const text = (/** @type {any} */ m, /** @type {boolean} */ named, /** @type {string} */ mes) => counted(substitute(named ? `${m.name}: ${mes}` : mes));
    /** @type {Record<string, boolean>} */
    const named = {};
    let held = 0;
    let i = history.length - 1;
    for (; i >= 0; i--) {
        const m = history[i];
        if (!m || m.is_system || typeof m.mes !== 'string') continue;
        const plain = inPrompt.has(text(m, false, m.mes));
        const withName = !plain && inPrompt.has(text(m, true, m.mes));
        if (!plain && !withName) {
            if (held) break;
            continue;
        }
        held++;
        named[role(m)] = withName;
    }
    /** @type {Counted[]} */
    const out = [];
    for (let more = 0; i >= 0 && more < held; i--) {
        const m = history[i];
        if (!m || m.is_system || typeof m.mes !== 'string') continue;
        more++;
        // Every message there is new to Send, illustrated or not: without our pictures it fits.
        out.push({ role: role(m), content: text(m, Boolean(named[role(m)]), m.mes.includes('data-iig') ? pruneText(m.mes) : m.mes) });
    }
    return out.reverse();
}

/** Run `work` when the page is idle (or soon, where it cannot tell). @param {() => void} work */
const whenIdle = (work) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(work, { timeout: 2000 }) : setTimeout(work, 50));

/** How many of the newest illustrated messages are pruned ahead (prune.js remembers 5000 texts). */
const PRUNE_AHEAD = 2000;

/**
 * Prune the chat's illustrated messages ahead, newest first, in slices of idle time: the
 * generate interceptor prunes the whole history at Send (25 ms for 1,000 illustrated
 * messages), and then only looks each text up.
 * @param {ReadonlyArray<any>} history @param {() => boolean} still whether to go on
 */
export async function pruneAhead(history, still) {
    const texts = [];
    for (let i = history.length - 1; i >= 0 && texts.length < PRUNE_AHEAD; i--) {
        const mes = history[i]?.mes;
        if (typeof mes === 'string' && mes.includes('data-iig')) texts.push(mes);
    }
    let next = 0;
    while (next < texts.length && still()) {
        const until = performance.now() + 8;
        while (next < texts.length && performance.now() < until) pruneText(texts[next++]);
        if (next < texts.length) await new Promise((resolve) => whenIdle(() => resolve(undefined)));
    }
}

export class TokenWarmer {
    constructor() {
        /** The latest dry run's prompt still to count from, and the chat it belongs to. @type {{chatId: string, prompt: unknown[]} | null} */
        this.pending = null;
        this.running = false;
    }

    /** Whether nothing is counted or waiting to be. */
    get idle() {
        return !this.running && !this.pending;
    }

    /** A dry run's prompt is ready (before we prune it): keep a copy of its messages. @param {unknown[]} chat */
    dryRun(chat) {
        if (!chat.some((m) => typeof (/** @type {any} */ (m))?.content === 'string' && /** @type {any} */ (m).content.includes('data-iig'))) return;
        this.pending = { chatId: String(ctx().getCurrentChatId?.() ?? ''), prompt: chat.map((m) => ({ .../** @type {any} */ (m) })) };
        if (!this.running) whenIdle(() => void this.run());
    }

    /** Count the pending messages one at a time, newest first, for as long as their chat is open. */
    async run() {
        if (this.running) return;
        this.running = true;
        try {
            const count = await countFunction();
            if (!count) this.pending = null;
            while (count && this.pending) {
                const { chatId, prompt } = this.pending;
                this.pending = null;
                const c = ctx();
                const substitute = typeof c.substituteParams === 'function' ? (/** @type {string} */ t) => String(c.substituteParams(t)) : undefined;
                await pruneAhead(c.chat ?? [], () => String(ctx().getCurrentChatId?.() ?? '') === chatId);
                const messages = [...beyondPrompt(c.chat ?? [], prompt, substitute), ...prunedForCount(prompt)];
                // Newest first, as Send counts them (it stops at the first that does not fit).
                for (const message of messages.reverse()) {
                    // SillyTavern files each count under the chat open at the time of counting.
                    if (String(ctx().getCurrentChatId?.() ?? '') !== chatId || this.pending) break;
                    await count(message);
                }
            }
        } catch (error) {
            this.pending = null;
            log.debug('counting pruned messages ahead failed (Send will count them)', error);
        } finally {
            this.running = false;
        }
    }
}
