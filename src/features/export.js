// @ts-check
/**
 * The illustrated story leaves the chat: the open chat as the user reads it now (each
 * message's current swipe), as one self-contained web page or as an EPUB book, every picture
 * inside it. The prose is formatted by SillyTavern itself (its markdown and its sanitiser);
 * the pictures are fetched one after another, so a chat of thousands stays within memory,
 * and the work yields to the page often, so it never freezes.
 */
import { ctx, t, tk, toast } from '../st.js';
import { errorText, log } from '../log.js';
import { openChatId } from '../chat/open-chat.js';
import { storyOf, chapters } from '../export/story.js';
import { fetchPicture, fitForExport, formatted, fragment, placePictures, slicer } from './export-message.js';
import { htmlBook, figureHtml, missingPictureHtml } from '../export/html-book.js';
import { zipEpub } from './export-epub.js';
import { ProgressToast } from '../ui/progress-toast.js';
import { askExportOptions } from '../ui/export-dialog.js';

/** @typedef {import('../export/story.js').StoryMessage} StoryMessage */
/** @typedef {import('../export/story.js').StoryPicture} StoryPicture */
/** @typedef {{format: 'html'|'epub', withUser: boolean, captions: boolean}} ExportOptions */
/** @typedef {{file: string, pictures: number, missing: number}} ExportResult */

/** Whose story it is: the group's name in a group chat, else the character's. */
function storyName() {
    const c = ctx();
    const group = c.groupId ? c.groups?.find((/** @type {any} */ g) => g.id === c.groupId) : null;
    return String(group?.name || c.name2 || 'Story');
}

/** The file name: the character and the chat, without characters file systems refuse. @param {string} ext */
function fileName(ext) {
    const who = storyName();
    const chat = openChatId();
    const base = chat.startsWith(who) ? chat : `${who} - ${chat}`;
    return `${base.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').replace(/\s+/g, ' ').trim().slice(0, 150) || 'story'}.${ext}`;
}

/** The book's title and subtitle: the character (or group), the persona, the chat's date. */
function titles() {
    const c = ctx();
    const title = storyName();
    const first = c.chat.find((/** @type {any} */ m) => m?.send_date)?.send_date;
    const date = first ? new Date(first) : null;
    const day = date && !Number.isNaN(date.getTime()) ? date.toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric' }) : String(first ?? '');
    const subtitle = [c.name1 ? t`A story told with ${String(c.name1)}` : '', day].filter(Boolean).join(' · ');
    return { title, subtitle };
}

/** A picture as a data: URL, so the page reads offline. @param {Blob} blob @returns {Promise<string>} */
function dataUrl(blob) {
    return new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result));
        reader.onerror = () => reject(reader.error);
        reader.readAsDataURL(blob);
    });
}

/** Messages' texts gathered into one Blob at a time. */
const BATCH_PARTS = 40;

/** Where message `i`'s body goes in the page, until it is put there. @param {number} i */
const slot = (i) => `IIGMESSAGESLOT${i}X`;

/**
 * The web page: one file, every picture embedded.
 * @param {StoryMessage[]} messages @param {ExportOptions} options @param {ProgressToast} progress
 * @returns {Promise<{blob: Blob, missing: number}>}
 */
async function exportHtml(messages, options, progress) {
    const pace = slicer();
    const missingLabel = tk('iig_export_missing', 'Picture not found');
    let missing = 0;
    // The page around the messages, with a slot where each message's body goes.
    const book = htmlBook({
        ...titles(), lang: document.documentElement.lang || 'en',
        messages: messages.map((m, i) => ({ name: m.name, isUser: m.isUser, html: slot(i) })),
    });
    const around = book.parts.join('').split(/IIGMESSAGESLOT\d+X/);
    /** @type {Blob[]} the file so far, a Blob every few messages: the pictures live outside the script's heap, and no single step joins thousands of parts */
    const file = [];
    /** @type {BlobPart[]} */
    let batch = [];
    for (const [i, message] of messages.entries()) {
        const body = formatted(message);
        await placePictures(body, message.pictures, async (picture, inline) => {
            progress.picture();
            const blob = await fetchPicture(picture.src);
            if (!blob) {
                missing++;
                return fragment(missingPictureHtml(picture.prompt, missingLabel, inline));
            }
            return fragment(figureHtml({ src: await dataUrl(blob), prompt: picture.prompt, caption: options.captions, inline }));
        });
        fitForExport(body);
        batch.push(around[i], body.innerHTML);
        if (batch.length >= BATCH_PARTS) {
            file.push(new Blob(batch));
            batch = [];
        }
        progress.message();
        await pace();
    }
    return { blob: new Blob([...file, ...batch, around[messages.length]], { type: 'text/html' }), missing };
}

/**
 * Export the open chat.
 * @param {ExportOptions} options
 * @returns {Promise<ExportResult>}
 */
async function exportChat(options) {
    const c = ctx();
    if (!openChatId() || !Array.isArray(c.chat) || !c.chat.length) throw new Error(t`Open a chat to export it.`);
    const messages = storyOf(c.chat, { withUser: options.withUser });
    if (!messages.length) throw new Error(t`This chat has no messages to export.`);
    const total = messages.reduce((n, m) => n + m.pictures.length, 0);
    const progress = new ProgressToast(messages.length, total);
    try {
        const { blob, missing } = options.format === 'epub'
            ? await zipEpub(chapters(messages), { ...titles(), captions: options.captions }, progress)
            : await exportHtml(messages, options, progress);
        const file = fileName(options.format);
        download(blob, file);
        return { file, pictures: total, missing };
    } finally {
        progress.close();
    }
}

/** @param {Blob} blob @param {string} name */
function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    // The browser has its own copy once the download started.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

let running = false;

/**
 * Export, one at a time, and say how it went (a picture whose file is gone is counted).
 * Throws an Error whose message is for the user.
 * @param {ExportOptions} options
 * @returns {Promise<ExportResult>}
 */
export async function exportAndTell(options) {
    if (running) throw new Error(t`An export is already running.`);
    running = true;
    try {
        const result = await exportChat(options);
        if (result.missing) toast(t`Exported ${result.file}. ${result.missing} of ${result.pictures} picture(s) were not found; a note stands in their place.`, 'warning');
        else toast(t`Exported ${result.file} with ${result.pictures} picture(s).`, 'success');
        return result;
    } finally {
        running = false;
    }
}

/** The wand menu's and the gallery's Export: the dialog, then the export. */
export async function exportWithDialog() {
    const options = await askExportOptions();
    if (!options) return;
    try {
        await exportAndTell(options);
    } catch (error) {
        log.warn('export failed', error);
        toast(errorText(error), 'error');
    }
}
