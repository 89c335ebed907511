// @ts-check
/**
 * Manual generation: the message button (Replace / Append), the actions on a generated
 * image (regenerate, edit prompt, delete) and the slash command for STscript.
 */
import { ctx, toast, t, tk } from './st.js';
import { parseTags, MAX_PROMPT_CHARS } from './core/parser.js';
import { imageAfter, replaceTagPrompt, escapeAttr, encodePrompt } from './core/insertion.js';
import { removeImageAt } from './pipeline.js';
import { log } from './log.js';

/** @typedef {import('./pipeline.js').Pipeline} Pipeline */
/** @typedef {import('./types').ChatMessage} ChatMessage */
/** @typedef {(message: ChatMessage, swipeId: number, transform: (t: string) => string|null) => Promise<string>} Rewrite */

const BUTTON_CLASS = 'iig-mes-button';

export class ManualGeneration {
    /**
     * @param {Pipeline} pipeline
     * @param {() => import('./types').Settings} settings
     * @param {Rewrite} rewrite
     * @param {(message: ChatMessage) => Promise<number>} [writePrompts] run the prompt writer on a reply (how many tags it wrote)
     */
    constructor(pipeline, settings, rewrite, writePrompts) {
        this.pipeline = pipeline;
        this.settings = settings;
        this.rewrite = rewrite;
        this.writePrompts = writePrompts;
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
        if (this.pipeline.isStreaming(message) || isStreamingInto(messageId)) {
            throw new Error(t`That message is still being written. Try again when the reply has finished.`);
        }
        if (!parseTags(message.mes ?? '').length) throw new Error(t`Message #${messageId} has no image prompts.`);
        if (this.busy.has(message)) throw new Error(t`Images for that message are already being generated.`);
        this.busy.add(message);
        this.syncButtons();
        try {
            const jobs = await this.pipeline.regenerate(message, mode, this.rewrite);
            const failed = jobs.filter((j) => j.status === 'failed').length;
            return { drawn: jobs.length - failed, failed };
        } finally {
            this.busy.delete(message);
            this.syncButtons();
        }
    }

    /**
     * "Write image prompts": the prompt writer on this reply, in any mode.
     * @param {number} messageId
     */
    async onWrite(messageId) {
        const message = ctx().chat[messageId];
        if (!message || !this.writePrompts) return;
        if (this.pipeline.isStreaming(message) || isStreamingInto(messageId)) {
            toast(t`That message is still being written. Try again when the reply has finished.`, 'warning');
            return;
        }
        this.busy.add(message);
        this.syncButtons();
        try {
            toast(t`Asking the prompt writer for this message's image prompts...`);
            const written = await this.writePrompts(message);
            if (written) toast(t`${written} image prompt(s) written into the message; their pictures are being drawn.`, 'success');
        } finally {
            this.busy.delete(message);
            this.syncButtons();
        }
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
        const preferred = this.settings().manualMode;
        const label = { replace: tk('iig_replace_all_images', 'Replace all images'), append: tk('iig_generate_missing_images', 'Generate missing images') };
        const other = preferred === 'replace' ? 'append' : 'replace';
        const choice = await c.callGenericPopup(
            `<h3>Inline Images</h3><p>${t`Replace removes this message's generated images and draws every prompt again. Append draws only prompts that have no image yet.`}</p>`,
            c.POPUP_TYPE.TEXT, '', { okButton: label[preferred], cancelButton: tk('iig_cancel', 'Cancel'), customButtons: [label[other], ...(this.writePrompts ? [write] : [])] });
        if (choice === 3) return this.onWrite(messageId);
        const mode = choice === c.POPUP_RESULT.AFFIRMATIVE ? preferred : choice === 2 ? other : null;
        if (!mode) return;
        try {
            toast(t`Generating the images of this message...`);
            const { drawn, failed } = await this.run(messageId, mode);
            if (failed) toast(t`${drawn} image(s) added, ${failed} failed. Hover a failed box for the reason.`, 'warning');
            else toast(t`${drawn} image(s) added to the message.`, 'success');
        } catch (error) {
            toast(error instanceof Error ? error.message : String(error), 'warning');
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
            const show = reply && (parseTags(message.mes ?? '').length > 0 || (Boolean(this.writePrompts) && /[\p{L}\p{N}]/u.test(message.mes ?? '')));
            button.classList.toggle('displayNone', !show);
            button.classList.toggle('iig-busy', Boolean(message && this.busy.has(message)));
        }
    }

    /** Click on one of our images: regenerate it, edit its prompt, or delete it. @param {HTMLImageElement} img */
    async onImage(img) {
        const c = ctx();
        const block = img.closest('.mes[mesid]');
        if (!block) return;
        const messageId = Number(block.getAttribute('mesid'));
        const message = c.chat[messageId];
        if (!message || this.pipeline.isStreaming(message)) return;
        const ordinal = imageOrdinal(message.mes ?? '', [...block.querySelectorAll('.mes_text img[data-iig]')].indexOf(img));
        if (ordinal < 0) return;
        const tag = parseTags(message.mes)[ordinal];
        const prompt = tag.prompt;
        // The hover text of the picture is the prompt as it went to Image Generation.
        const sent = imageAfter(message.mes, tag)?.title ?? '';
        const sentPart = sent && sent !== prompt
            ? `<p><small>${tk('iig_sent_as', 'Sent to Image Generation as:')}</small></p><p class="iig-popup-prompt iig-popup-sent">${escapeAttr(sent)}</p>` : '';
        const choice = await c.callGenericPopup(`<h3>${tk('iig_image', 'Image')}</h3><p class="iig-popup-prompt">${escapeAttr(prompt)}</p>${sentPart}`,
            c.POPUP_TYPE.TEXT, '', { okButton: tk('iig_regenerate', 'Regenerate'), cancelButton: tk('iig_close', 'Close'), customButtons: [tk('iig_edit_prompt', 'Edit prompt'), tk('iig_delete_image', 'Delete image')] });
        if (choice === c.POPUP_RESULT.AFFIRMATIVE) {
            await this.pipeline.redrawOne(message, ordinal, this.rewrite);
        } else if (choice === 2) {
            const edited = await c.callGenericPopup(t`Edit the image prompt, then it is drawn again:`, c.POPUP_TYPE.INPUT, prompt, { rows: 4 });
            if (typeof edited !== 'string' || !edited.trim() || edited.trim() === prompt) return;
            if (encodePrompt(edited.trim().replace(/\s+/g, ' ')).length > MAX_PROMPT_CHARS) {
                toast(t`That prompt is too long for an image tag (at most ${MAX_PROMPT_CHARS} characters, quotes and < > counting more). Nothing was changed.`, 'warning');
                return;
            }
            await this.rewrite(message, message.swipe_id ?? 0, (text) => {
                const tag = parseTags(text)[ordinal];
                return tag ? replaceTagPrompt(text, tag, edited.trim()) : null;
            });
            await this.pipeline.redrawOne(message, ordinal, this.rewrite);
        } else if (choice === 3) {
            await this.rewrite(message, message.swipe_id ?? 0, (text) => removeImageAt(text, ordinal));
        }
    }

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
        const chatEl = document.getElementById('chat');
        chatEl?.addEventListener('click', (event) => {
            const target = /** @type {HTMLElement} */ (event.target);
            const button = target.closest?.(`.${BUTTON_CLASS}`);
            if (button) {
                const id = Number(button.closest('.mes[mesid]')?.getAttribute('mesid'));
                if (!button.classList.contains('iig-busy')) void this.onButton(id).catch((e) => log.error(e));
                return;
            }
            if (target instanceof HTMLImageElement && target.matches('.mes_text img[data-iig]')) {
                event.preventDefault();
                event.stopPropagation();
                void this.onImage(target).catch((e) => log.error(e));
                return;
            }
            const failed = target.closest?.('.mes_text [data-iig-state="failed"], .mes_text [data-iig-state="over"]');
            if (failed) {
                event.preventDefault();
                event.stopPropagation();
                this.onFailed(/** @type {HTMLElement} */ (failed));
            }
        }, true);
        const { eventSource, eventTypes: E } = ctx();
        const sync = () => requestAnimationFrame(() => this.syncButtons());
        for (const name of ['CHARACTER_MESSAGE_RENDERED', 'MESSAGE_UPDATED', 'MESSAGE_SWIPED', 'CHAT_CHANGED', 'MORE_MESSAGES_LOADED', 'MESSAGE_DELETED']) {
            if (E[name]) eventSource.on(E[name], sync);
        }
        sync();
    }

    /** A click on a failed picture's box draws it again; on an "over the limit" box, draws it. @param {HTMLElement} box */
    onFailed(box) {
        const block = box.closest('.mes[mesid]');
        const message = ctx().chat[Number(block?.getAttribute('mesid'))];
        if (!block || !message || this.pipeline.isStreaming(message)) return;
        const boxes = [...block.querySelectorAll('.mes_text [data-iig-state]')];
        const ordinal = placeholderOrdinal(message.mes ?? '', this.pipeline.statesFor(message), boxes.indexOf(box));
        if (ordinal < 0) return;
        const job = this.pipeline.retryFailed(message, ordinal);
        if (job) log.info(`drawing "${job.prompt}" again (clicked)`);
    }

    registerCommand() {
        const c = ctx();
        const { SlashCommandParser, SlashCommand, SlashCommandArgument, SlashCommandNamedArgument, ARGUMENT_TYPE, SlashCommandEnumValue } = c;
        if (!SlashCommandParser?.addCommandObject || !SlashCommand?.fromProps) return log.warn('slash commands unavailable');
        const modes = ['replace', 'append'];
        SlashCommandParser.addCommandObject(SlashCommand.fromProps({
            name: 'inline-images',
            aliases: ['iig'],
            callback: async (/** @type {Record<string, any>} */ args, /** @type {string} */ value) => {
                const chat = ctx().chat;
                const raw = String(value ?? '').trim();
                const id = raw === '' ? chat.length - 1 : Number(raw);
                const mode = String(args.mode || this.settings().manualMode).toLowerCase();
                if (!Number.isInteger(id) || id < 0) throw new Error(t`/inline-images: "${raw}" is not a message id.`);
                if (!modes.includes(mode)) throw new Error(t`/inline-images: the mode must be replace or append, not "${mode}".`);
                const { drawn } = await this.run(id, /** @type {'replace'|'append'} */ (mode));
                return String(drawn);
            },
            returns: t`the number of images added to the message`,
            namedArgumentList: [SlashCommandNamedArgument.fromProps({
                name: 'mode', description: t`replace: remove this message's generated images and draw every prompt again; append: draw only prompts without an image. Default: the setting "Default manual mode".`,
                typeList: [ARGUMENT_TYPE.STRING], enumList: modes.map((m) => new SlashCommandEnumValue(m)), forceEnum: true,
            })],
            unnamedArgumentList: [SlashCommandArgument.fromProps({
                description: t`the message id to illustrate (default: the last message)`, typeList: [ARGUMENT_TYPE.NUMBER],
            })],
            helpString: `<div>${t`Generates the images of a message's image prompts with Inline Images and waits until they are done. Returns how many were added.`}</div><div>${tk('iig_example', 'Example:')} <pre><code>/inline-images mode=replace 3</code></pre></div>`,
        }));
    }
}

/** @param {number} messageId */
function isStreamingInto(messageId) {
    const sp = ctx().streamingProcessor;
    return Boolean(sp && !sp.isFinished && sp.messageId === messageId);
}

/**
 * The ordinal of the tag shown as the `index`-th placeholder: the display puts one, in tag
 * order, for each tag without an image whose job has a state.
 * @param {string} text @param {Map<number, any>|null} states @param {number} index
 */
export function placeholderOrdinal(text, states, index) {
    if (index < 0 || !states) return -1;
    let seen = 0;
    const tags = parseTags(text);
    for (let ordinal = 0; ordinal < tags.length; ordinal++) {
        if (imageAfter(text, tags[ordinal])) continue;
        const state = states.get(ordinal);
        if (state && ['pending', 'failed', 'ready', 'over'].includes(state.status) && seen++ === index) return ordinal;
    }
    return -1;
}

/**
 * The ordinal of the tag whose image is the `index`-th of our images in the text.
 * @param {string} text @param {number} index
 */
export function imageOrdinal(text, index) {
    if (index < 0) return -1;
    let seen = 0;
    const tags = parseTags(text);
    for (let ordinal = 0; ordinal < tags.length; ordinal++) {
        if (imageAfter(text, tags[ordinal]) && seen++ === index) return ordinal;
    }
    return -1;
}
