// @ts-check
/**
 * What the reader sees of a reply, hooked into SillyTavern's rendering: SillyTavern 1.19.0's
 * message formatter hooks, or on older releases a re-render after each of its own renders.
 * The text shown comes from format/display.js; the stored message is never changed here.
 */
import { ctx, t, tk } from '../st.js';
import { renderForDisplay } from '../format/display.js';
import { isBeingEdited } from './open-chat.js';
import { log } from '../log.js';

/**
 * @typedef {object} Deps
 * @property {import('../picture/jobs.js').Jobs} jobs
 * @property {import('./streams.js').Streams} streams
 * @property {import('./reply.js').ReplyLifecycle} replies
 * @property {import('../features/prompt-writer.js').PromptWriter} promptWriter
 */

/** Translated once per call: cheap, and follows a language switch without a reload. */
const placeholderLabels = () => ({
    pending: tk('iig_drawing', 'drawing…'),
    failed: tk('iig_image_failed', 'image failed (hover for details, click to retry)'),
    over: tk('iig_over_limit', 'not drawn (over the limit), click to draw'),
    limit: tk('iig_daily_limit_reached', 'not drawn (daily limit reached), click to draw'),
    attempt: (/** @type {number} */ n, /** @type {number} */ of) => t`drawing… (attempt ${n} of ${of})`,
});

/**
 * What the reader sees of a reply's text: tags hidden, our images and placeholders in place.
 * @param {Deps} deps @param {string} mes @param {any} message the chat message, if known
 */
function displayText({ jobs, streams, replies, promptWriter }, mes, message) {
    // While a continue streams, the text lacks the images of its earlier part.
    mes = replies.displayText(message, mes);
    const states = message ? jobs.statesFor(message) : null;
    // Only text still streaming can end in a tag that is not finished yet; a final text
    // shows everything but its tags and broken tags (an unclosed quote must not hide the
    // rest of the story).
    const streaming = Boolean(message) && streams.isWriting(message);
    const shown = renderForDisplay(mes, states, { hideUnfinished: streaming, labels: states ? placeholderLabels() : undefined });
    // The prompt writer is at work on this reply: say so under it.
    return message && promptWriter.isWriting(message)
        ? `${shown}\n\n<span data-iig-state="writing">${tk('iig_writing_prompts', 'writing image prompts…')}</span>` : shown;
}

/** @param {Deps} deps */
export function registerDisplay(deps) {
    const formatter = ctx().messageFormatter;
    if (!formatter?.addHook) {
        registerDisplayFallback(deps);
        return;
    }
    formatter.addHook((/** @type {string} */ mes, /** @type {any} */ fctx) => {
        if (fctx?.isUser || fctx?.isSystem || typeof mes !== 'string') return mes;
        return displayText(deps, mes, ctx().chat[fctx?.messageId]);
    }, { stage: formatter.stage?.BEFORE_REGEX ?? 'beforeRegex', order: formatter.order?.EARLY ?? 10 });
}

/**
 * SillyTavern before 1.19.0 has no message formatter hooks. Whenever it writes a reply's
 * text into the page (streaming ticks, updateMessageBlock, chat load), render it again from
 * our display text. A MutationObserver runs before the next paint, so the raw text never shows.
 * @param {Deps} deps
 */
function registerDisplayFallback(deps) {
    const chat = document.getElementById('chat');
    if (!chat || typeof ctx().messageFormatting !== 'function') {
        log.info('no message formatter hooks and no #chat: images appear when a reply ends');
        return;
    }
    /** @param {Element} el */
    const rerender = (el) => {
        const block = el.closest('.mes');
        const index = Number(block?.getAttribute('mesid'));
        const c = ctx();
        const message = c.chat[index];
        if (!message || message.is_user || message.is_system || isBeingEdited(message) || el.querySelector('textarea')) return;
        const raw = message.extra?.display_text ?? message.mes;
        if (typeof raw !== 'string') return;
        const shown = displayText(deps, raw, message);
        if (shown === raw) return; // nothing of ours in it: SillyTavern's rendering stands
        el.innerHTML = c.messageFormatting(shown, message.name, false, false, index);
    };
    const observer = new MutationObserver((records) => {
        /** @type {Set<Element>} */
        const targets = new Set();
        for (const record of records) {
            const target = record.target instanceof Element ? record.target : record.target.parentElement;
            const text = target?.closest('.mes_text');
            if (text) targets.add(text);
            for (const node of record.addedNodes) {
                if (!(node instanceof Element)) continue;
                if (node.matches('.mes_text')) targets.add(node);
                for (const inner of node.querySelectorAll('.mes_text')) targets.add(inner);
            }
        }
        for (const el of targets) rerender(el);
        observer.takeRecords(); // our own writes
    });
    observer.observe(chat, { childList: true, subtree: true, characterData: true });
    log.info('this SillyTavern has no message formatter hooks (1.19.0+): the display follows its renders instead');
}
