// @ts-check
/**
 * Manual generation: the message button (Replace / Append), the viewer and the gallery with
 * the actions on a generated image (regenerate, edit prompt, delete, go to message) and the
 * slash commands for STscript.
 */
import { ctx, toast, t, tk } from './st.js';
import { parseTags, MAX_PROMPT_CHARS } from './core/parser.js';
import { imageAfter, replaceTagPrompt, encodePrompt } from './core/insertion.js';
import { removeImageAt } from './pipeline.js';
import { log } from './log.js';
import { collectPictures, imageOrdinal, placeholderOrdinal } from './core/gallery.js';
import { openViewer } from './ui/viewer.js';
import { openGallery } from './ui/gallery.js';

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

    /** Click on one of our images: the viewer, on that picture. @param {HTMLImageElement} img */
    onImage(img) {
        const block = img.closest('.mes[mesid]');
        if (!block) return;
        const messageIndex = Number(block.getAttribute('mesid'));
        const message = ctx().chat[messageIndex];
        if (!message) return;
        const shown = [...block.querySelectorAll('.mes_text img[data-iig]')].indexOf(img);
        const ordinal = imageOrdinal(message.mes ?? '', shown, this.pipeline.statesFor(message));
        if (ordinal < 0) return;
        const pictures = collectPictures(ctx().chat);
        const at = pictures.findIndex((p) => p.messageIndex === messageIndex && p.ordinal === ordinal);
        if (at >= 0) return void openViewer(pictures, at, this.pictureActions());
        // Finished but not written into the message yet (it streams, or its editor is open):
        // the viewer shows it alone; its actions wait until it is written.
        const picture = { messageIndex, ordinal, src: img.getAttribute('src') ?? '', prompt: img.alt, sent: img.title || img.alt, name: String(message.name ?? '') };
        openViewer([picture], 0, this.pictureActions());
    }

    /** The gallery of the open chat. */
    openGallery() {
        return openGallery(collectPictures(ctx().chat), this.pictureActions());
    }

    /**
     * What the viewer and the gallery do with a picture. Each finds the picture's message
     * again and checks the picture is still there: the chat may have changed meanwhile.
     * @returns {import('./ui/viewer.js').PictureActions}
     */
    pictureActions() {
        /** @param {import('./core/gallery.js').Picture} picture */
        const find = (picture) => {
            const message = ctx().chat[picture.messageIndex];
            const text = message?.mes ?? '';
            const tag = parseTags(text)[picture.ordinal];
            if (!message || !tag || imageAfter(text, tag)?.src !== picture.src) throw new Error(t`That picture is no longer in the chat.`);
            return { message, tag };
        };
        /** @param {import('./core/gallery.js').Picture} picture */
        const editable = (picture) => {
            const message = ctx().chat[picture.messageIndex];
            if ((message && this.pipeline.isStreaming(message)) || isStreamingInto(picture.messageIndex)) {
                throw new Error(t`That message is still being written. Try again when the reply has finished.`);
            }
            return find(picture);
        };
        return {
            regenerate: async (picture) => {
                const { message } = editable(picture);
                await this.pipeline.redrawOne(message, picture.ordinal, this.rewrite);
            },
            edit: async (picture) => {
                const { message, tag } = editable(picture);
                const prompt = tag.prompt;
                const c = ctx();
                const edited = await c.callGenericPopup(t`Edit the image prompt, then it is drawn again:`, c.POPUP_TYPE.INPUT, prompt, { rows: 4 });
                if (typeof edited !== 'string' || !edited.trim() || edited.trim() === prompt) return;
                if (encodePrompt(edited.trim().replace(/\s+/g, ' ')).length > MAX_PROMPT_CHARS) {
                    toast(t`That prompt is too long for an image tag (at most ${MAX_PROMPT_CHARS} characters, quotes and < > counting more). Nothing was changed.`, 'warning');
                    return;
                }
                await this.rewrite(message, message.swipe_id ?? 0, (text) => {
                    const now = parseTags(text)[picture.ordinal];
                    return now ? replaceTagPrompt(text, now, edited.trim()) : null;
                });
                await this.pipeline.redrawOne(message, picture.ordinal, this.rewrite);
            },
            remove: async (picture) => {
                const { message } = editable(picture);
                await this.rewrite(message, message.swipe_id ?? 0, (text) => removeImageAt(text, picture.ordinal));
            },
            goTo: async (picture) => {
                const image = await showPicture(picture);
                if (!image) toast(t`That picture is not shown in the chat. Load earlier messages, or check that the message is still there.`, 'warning');
            },
        };
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
                this.onImage(target);
                return;
            }
            const failed = target.closest?.('.mes_text [data-iig-state="failed"], .mes_text [data-iig-state="over"]');
            if (failed) {
                event.preventDefault();
                event.stopPropagation();
                this.onFailed(/** @type {HTMLElement} */ (failed));
            }
        }, true);
        // The gallery in the wand menu (SillyTavern shows the menu's button once it has items).
        const menu = document.getElementById('extensionsMenu');
        if (menu && !document.getElementById('iig_gallery_wand')) {
            const item = document.createElement('div');
            item.id = 'iig_gallery_wand';
            item.className = 'list-group-item flex-container flexGap5 interactable';
            item.tabIndex = 0;
            const icon = document.createElement('div');
            icon.className = 'fa-solid fa-images extensionsMenuExtensionButton';
            const label = document.createElement('span');
            label.textContent = tk('iig_gallery_menu', 'Inline Images gallery');
            label.setAttribute('data-i18n', 'iig_gallery_menu');
            item.append(icon, label);
            item.addEventListener('click', () => this.openGallery());
            menu.append(item);
        }
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
        const { SlashCommandParser, SlashCommand, SlashCommandArgument, SlashCommandNamedArgument, ARGUMENT_TYPE } = c;
        if (!SlashCommandParser?.addCommandObject || !SlashCommand?.fromProps) return log.warn('slash commands unavailable');
        SlashCommandParser.addCommandObject(SlashCommand.fromProps({
            name: 'iig-gallery',
            callback: async () => String(this.openGallery().querySelectorAll('.iig-gallery-thumb').length),
            returns: t`the number of pictures in the gallery`,
            helpString: `<div>${t`Opens the gallery of every Inline Images picture in this chat.`}</div>`,
        }));
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
                // Plain strings: SillyTavern wraps them (getContext() has no SlashCommandEnumValue before 1.17.0).
                typeList: [ARGUMENT_TYPE.STRING], enumList: modes, forceEnum: true,
            })],
            unnamedArgumentList: [SlashCommandArgument.fromProps({
                description: t`the message id to illustrate (default: the last message)`, typeList: [ARGUMENT_TYPE.NUMBER],
            })],
            helpString: `<div>${t`Generates the images of a message's image prompts with Inline Images and waits until they are done. Returns how many were added.`}</div><div>${tk('iig_example', 'Example:')} <pre><code>/inline-images mode=replace 3</code></pre></div>`,
        }));
    }
}

/**
 * Scroll the chat to a picture, loading earlier messages first when it is above them, and
 * flash it. Resolves to the picture's element, or null when it is not shown.
 * @param {import('./core/gallery.js').Picture} picture
 */
async function showPicture(picture) {
    const block = () => document.querySelector(`#chat .mes[mesid="${picture.messageIndex}"]`);
    // "Show more messages" loads the earlier ones a page at a time.
    for (let page = 0; !block() && page < 100; page++) {
        const more = document.getElementById('show_more_messages');
        if (!more) break;
        more.click();
        for (let wait = 0; wait < 50 && !block() && document.getElementById('show_more_messages') === more; wait++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
    }
    const found = block();
    if (!found) return null;
    const text = ctx().chat[picture.messageIndex]?.mes ?? '';
    const nth = collectPictures([{ mes: text }]).findIndex((p) => p.ordinal === picture.ordinal);
    const image = found.querySelectorAll('.mes_text img[data-iig]')[nth] ?? found;
    image.scrollIntoView({ block: 'center', behavior: 'smooth' });
    image.classList.add('iig-flash');
    setTimeout(() => image.classList.remove('iig-flash'), 2000);
    return image;
}

/** @param {number} messageId */
function isStreamingInto(messageId) {
    const sp = ctx().streamingProcessor;
    return Boolean(sp && !sp.isFinished && sp.messageId === messageId);
}
