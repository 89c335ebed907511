// @ts-check
/**
 * The pictures as the user looks at them: a click on one opens the viewer, the gallery shows
 * them all, and the viewer's actions (regenerate, edit prompt, delete, go to message) act on
 * the chat. Each action finds the picture's message again and checks the picture is still
 * there: the chat may have changed while the viewer was open.
 */
import { ctx, toast, t } from '../st.js';
import { parseTags, MAX_PROMPT_CHARS } from '../format/tags.js';
import { imageAfter, replaceTagPrompt, encodePrompt } from '../format/pictures.js';
import { collectPictures, imageOrdinal } from '../format/chat-pictures.js';
import { redrawTag, removeImageAt } from './redraw.js';
import { openViewer } from '../ui/viewer.js';
import { askPromptAndShape } from '../ui/edit-prompt-dialog.js';
import { openGallery } from '../ui/gallery.js';

/** @typedef {import('../format/chat-pictures.js').ChatPicture} ChatPicture */

/** Said when an action waits for the reply being written. */
export const STILL_WRITTEN = () => t`That message is still being written. Try again when the reply has finished.`;

export class PictureActions {
    /**
     * @param {import('../picture/jobs.js').Jobs} jobs
     * @param {import('../chat/write-path.js').WritePath} writePath
     * @param {import('../chat/streams.js').Streams} streams
     * @param {() => void} [exportStory] the gallery's Export button
     */
    constructor(jobs, writePath, streams, exportStory) {
        this.exportStory = exportStory;
        this.jobs = jobs;
        this.writePath = writePath;
        this.streams = streams;
        /** @type {import('../ui/viewer.js').PictureActions} */
        this.actions = {
            regenerate: async (picture) => {
                const { message } = this.editable(picture);
                await redrawTag(this.jobs, this.writePath, message, picture.ordinal);
            },
            edit: (picture) => this.editPrompt(picture),
            remove: async (picture) => {
                const { message } = this.editable(picture);
                await this.writePath.rewrite(message, message.swipe_id ?? 0, (text) => removeImageAt(text, picture.ordinal));
            },
            goTo: async (picture) => {
                if (!(await showPicture(picture))) toast(t`That picture is not shown in the chat. Load earlier messages, or check that the message is still there.`, 'warning');
            },
        };
    }

    /** Click on one of our images: the viewer, on that picture. @param {HTMLImageElement} img */
    open(img) {
        const block = img.closest('.mes[mesid]');
        if (!block) return;
        const messageIndex = Number(block.getAttribute('mesid'));
        const message = ctx().chat[messageIndex];
        if (!message) return;
        const shown = [...block.querySelectorAll('.mes_text img[data-iig]')].indexOf(img);
        const ordinal = imageOrdinal(message.mes ?? '', shown, this.jobs.statesFor(message));
        if (ordinal < 0) return;
        const pictures = collectPictures(ctx().chat);
        const at = pictures.findIndex((p) => p.messageIndex === messageIndex && p.ordinal === ordinal);
        if (at >= 0) return void openViewer(pictures, at, this.actions);
        // Finished but not written into the message yet (it streams, or its editor is open):
        // the viewer shows it alone; its actions wait until it is written.
        const picture = { messageIndex, ordinal, src: img.getAttribute('src') ?? '', prompt: img.alt, sent: img.title || img.alt, negative: img.dataset.iigNegative ?? '', name: String(message.name ?? '') };
        openViewer([picture], 0, this.actions);
    }

    /** The gallery of the open chat. */
    openGallery() {
        return openGallery(collectPictures(ctx().chat), this.actions, this.exportStory);
    }

    /** The picture's message and tag, when the picture is still there. @param {ChatPicture} picture */
    find(picture) {
        const message = ctx().chat[picture.messageIndex];
        const text = message?.mes ?? '';
        const tag = parseTags(text)[picture.ordinal];
        if (!message || !tag || imageAfter(text, tag)?.src !== picture.src) throw new Error(t`That picture is no longer in the chat.`);
        return { message, tag };
    }

    /** Like find, and its message is not being written. @param {ChatPicture} picture */
    editable(picture) {
        const message = ctx().chat[picture.messageIndex];
        if (message && this.streams.isWriting(message)) throw new Error(STILL_WRITTEN());
        return this.find(picture);
    }

    /** Ask for a new prompt, write it into the tag, draw it. @param {ChatPicture} picture */
    async editPrompt(picture) {
        const { message, tag } = this.editable(picture);
        const answer = await askPromptAndShape(tag.prompt, tag.shape);
        const edited = answer?.prompt.trim() ?? '';
        if (!answer || !edited || (edited === tag.prompt && answer.shape === tag.shape)) return;
        if (encodePrompt(edited.replace(/\s+/g, ' ')).length > MAX_PROMPT_CHARS) {
            toast(t`That prompt is too long for an image tag (at most ${MAX_PROMPT_CHARS} characters, quotes and < > counting more). Nothing was changed.`, 'warning');
            return;
        }
        await this.writePath.rewrite(message, message.swipe_id ?? 0, (text) => {
            const now = parseTags(text)[picture.ordinal];
            return now ? replaceTagPrompt(text, now, edited, answer.shape) : null;
        });
        await redrawTag(this.jobs, this.writePath, message, picture.ordinal);
    }
}

/**
 * Scroll the chat to a picture, loading earlier messages first when it is above them, and
 * flash it. Resolves to the picture's element, or null when it is not shown.
 * @param {ChatPicture} picture
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
