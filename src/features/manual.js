// @ts-check
/**
 * Manual generation: the images button on a reply (Replace all images, Generate missing
 * images, Write image prompts), and clicks in the chat on our pictures (the viewer) and on a
 * failed, over-the-limit or daily-limit box (draw it: the user's choice, whatever the count).
 */
import { ctx, toast, t, tk } from '../st.js';
import { errorText, log } from '../log.js';
import { parseTags } from '../format/tags.js';
import { placeholderOrdinal } from '../format/chat-pictures.js';
import { redrawMessage, retryTag } from './redraw.js';
import { STILL_WRITTEN } from './picture-actions.js';

/** @typedef {import('../types').ChatMessage} ChatMessage */

const BUTTON_CLASS = 'iig-mes-button';

export class ManualGeneration {
    /**
     * @param {object} deps
     * @param {import('../picture/jobs.js').Jobs} deps.jobs
     * @param {import('../chat/write-path.js').WritePath} deps.writePath
     * @param {import('../chat/streams.js').Streams} deps.streams
     * @param {import('./picture-actions.js').PictureActions} deps.pictures
     * @param {() => import('../types').Settings} deps.settings
     * @param {(message: ChatMessage) => Promise<number>} [deps.writePrompts] run the prompt writer on a reply (how many tags it wrote)
     */
    constructor(deps) {
        this.deps = deps;
        /** @type {Set<ChatMessage>} */
        this.busy = new Set();
    }

    /**
     * Run manual generation on a message; throws an Error whose message is for the user.
     * @param {number} messageId @param {'replace'|'append'} mode
     * @returns {Promise<{drawn: number, failed: number}>}
     */
    async run(messageId, mode) {
        const message = ctx().chat[messageId];
        if (!message) throw new Error(t`There is no message #${messageId} in this chat.`);
        if (message.is_user || message.is_system) throw new Error(t`Message #${messageId} is not a character's reply.`);
        if (this.deps.streams.isWriting(message)) throw new Error(STILL_WRITTEN());
        if (!parseTags(message.mes ?? '').length) throw new Error(t`Message #${messageId} has no image prompts.`);
        if (this.busy.has(message)) throw new Error(t`Images for that message are already being generated.`);
        return this.whileBusy(message, async () => {
            const jobs = await redrawMessage(this.deps.jobs, this.deps.writePath, message, mode);
            const failed = jobs.filter((j) => j.status === 'failed').length;
            return { drawn: jobs.length - failed, failed };
        });
    }

    /**
     * `work`, with the message's button shown busy meanwhile.
     * @template T @param {ChatMessage} message @param {() => Promise<T>} work @returns {Promise<T>}
     */
    async whileBusy(message, work) {
        this.busy.add(message);
        this.syncButtons();
        try {
            return await work();
        } finally {
            this.busy.delete(message);
            this.syncButtons();
        }
    }

    /** "Write image prompts": the prompt writer on this reply, in any mode. @param {number} messageId */
    async onWrite(messageId) {
        const message = ctx().chat[messageId];
        const { writePrompts } = this.deps;
        if (!message || !writePrompts) return;
        if (this.deps.streams.isWriting(message)) return void toast(STILL_WRITTEN(), 'warning');
        await this.whileBusy(message, async () => {
            toast(t`Asking the prompt writer for this message's image prompts...`);
            const written = await writePrompts(message);
            if (written) toast(t`${written} image prompt(s) written into the message; their pictures are being drawn.`, 'success');
        });
    }

    /** Button click: pick the mode (default first), run, report with toasts. @param {number} messageId */
    async onButton(messageId) {
        const c = ctx();
        const write = tk('iig_write_prompts', 'Write image prompts');
        if (!parseTags(c.chat[messageId]?.mes ?? '').length) {
            // No tags yet: the prompt writer is what there is to do.
            const choice = await c.callGenericPopup(`<h3>Inline Images</h3><p>${t`This reply has no image prompts. The prompt writer can read it and place some.`}</p>`,
                c.POPUP_TYPE.TEXT, '', { okButton: write, cancelButton: tk('iig_cancel', 'Cancel') });
            if (choice === c.POPUP_RESULT.AFFIRMATIVE) await this.onWrite(messageId);
            return;
        }
        const preferred = this.deps.settings().manualMode;
        const label = { replace: tk('iig_replace_all_images', 'Replace all images'), append: tk('iig_generate_missing_images', 'Generate missing images') };
        const other = preferred === 'replace' ? 'append' : 'replace';
        const choice = await c.callGenericPopup(
            `<h3>Inline Images</h3><p>${t`Replace removes this message's generated images and draws every prompt again. Append draws only prompts that have no image yet.`}</p>`,
            c.POPUP_TYPE.TEXT, '', { okButton: label[preferred], cancelButton: tk('iig_cancel', 'Cancel'), customButtons: [label[other], ...(this.deps.writePrompts ? [write] : [])] });
        if (choice === 3) return this.onWrite(messageId);
        const mode = choice === c.POPUP_RESULT.AFFIRMATIVE ? preferred : choice === 2 ? other : null;
        if (!mode) return;
        try {
            toast(t`Generating the images of this message...`);
            const { drawn, failed } = await this.run(messageId, mode);
            if (failed) toast(t`${drawn} image(s) added, ${failed} failed. Hover a failed box for the reason.`, 'warning');
            else toast(t`${drawn} image(s) added to the message.`, 'success');
        } catch (error) {
            toast(errorText(error), 'warning');
        }
    }

    /** Show the button on replies that contain tags, or on every reply with text when the
     * prompt writer can be asked; mark the busy ones. */
    syncButtons() {
        const chat = ctx().chat;
        for (const block of document.querySelectorAll('#chat .mes[mesid]')) {
            const button = block.querySelector(`.${BUTTON_CLASS}`);
            if (!button) continue;
            const message = chat[Number(block.getAttribute('mesid'))];
            const reply = Boolean(message && !message.is_user && !message.is_system);
            const show = reply && (parseTags(message.mes ?? '').length > 0 || (Boolean(this.deps.writePrompts) && /[\p{L}\p{N}]/u.test(message.mes ?? '')));
            button.classList.toggle('displayNone', !show);
            button.classList.toggle('iig-busy', Boolean(message && this.busy.has(message)));
        }
    }

    /** The button in every message block (the template and those already rendered), and the chat's clicks. */
    install() {
        const template = document.querySelector('#message_template .extraMesButtons');
        if (template && !template.querySelector(`.${BUTTON_CLASS}`)) {
            const button = document.createElement('div');
            button.className = `mes_button ${BUTTON_CLASS} fa-solid fa-images displayNone`;
            button.title = tk('iig_generate_images_button', 'Inline Images: generate images');
            button.setAttribute('data-i18n', '[title]iig_generate_images_button');
            template.prepend(button);
        }
        // Blocks rendered before we were loaded get their button too.
        for (const extra of document.querySelectorAll('#chat .mes .extraMesButtons')) {
            if (template && !extra.querySelector(`.${BUTTON_CLASS}`)) extra.prepend(template.querySelector(`.${BUTTON_CLASS}`).cloneNode(true));
        }
        document.getElementById('chat')?.addEventListener('click', (event) => this.onChatClick(event), true);
        const { eventSource, eventTypes: E } = ctx();
        const sync = () => requestAnimationFrame(() => this.syncButtons());
        for (const name of ['CHARACTER_MESSAGE_RENDERED', 'MESSAGE_UPDATED', 'MESSAGE_SWIPED', 'CHAT_CHANGED', 'MORE_MESSAGES_LOADED', 'MESSAGE_DELETED']) {
            if (E[name]) eventSource.on(E[name], sync);
        }
        sync();
    }

    /** Our button, one of our pictures, or a failed box: ours to handle, before SillyTavern's. @param {MouseEvent} event */
    onChatClick(event) {
        const target = /** @type {HTMLElement} */ (event.target);
        const button = target.closest?.(`.${BUTTON_CLASS}`);
        if (button) {
            const id = Number(button.closest('.mes[mesid]')?.getAttribute('mesid'));
            if (!button.classList.contains('iig-busy')) void this.onButton(id).catch((e) => log.error(e));
            return;
        }
        const picture = target instanceof HTMLImageElement && target.matches('.mes_text img[data-iig]');
        const box = picture ? null : target.closest?.('.mes_text [data-iig-state="failed"], .mes_text [data-iig-state="over"], .mes_text [data-iig-state="limit"]');
        if (!picture && !box) return;
        event.preventDefault();
        event.stopPropagation();
        if (picture) this.deps.pictures.open(/** @type {HTMLImageElement} */ (target));
        else this.onFailed(/** @type {HTMLElement} */ (box));
    }

    /** A click on a failed picture's box draws it again; on an "over the limit" or daily-limit box, draws it. @param {HTMLElement} box */
    onFailed(box) {
        const block = box.closest('.mes[mesid]');
        const message = ctx().chat[Number(block?.getAttribute('mesid'))];
        if (!block || !message || this.deps.streams.isWriting(message)) return;
        const boxes = [...block.querySelectorAll('.mes_text [data-iig-state]')];
        const ordinal = placeholderOrdinal(message.mes ?? '', this.deps.jobs.statesFor(message), boxes.indexOf(box));
        if (ordinal < 0) return;
        const job = retryTag(this.deps.jobs, message, ordinal);
        if (job) log.info(`drawing "${job.prompt}" again (clicked)`);
    }
}
