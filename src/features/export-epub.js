// @ts-check
/**
 * The story as an EPUB 3 book: a chapter per block of messages, the pictures as image files
 * inside it, the first picture as the cover. Zipped with the JSZip SillyTavern ships (a UMD
 * script: importing it sets `window.JSZip`, as SillyTavern's own EPUB reader does).
 */
import { ctx, t, tk } from '../st.js';
import { epubFiles, extensionOf, mediaTypeOf } from '../export/epub-files.js';
import { xmlSafe } from '../format/text.js';
import { figureHtml, missingPictureHtml } from '../export/html-book.js';
import { fetchPicture, fitForExport, formatted, fragment, placePictures, slicer } from './export-message.js';

/** @typedef {import('../export/story.js').StoryMessage} StoryMessage */
/** @typedef {import('../ui/progress-toast.js').ProgressToast} ProgressToast */

// src/features/ -> src/ -> extension folder -> third-party -> extensions -> scripts -> the site root.
const JSZIP_URL = new URL('../../../../../../lib/jszip.min.js', import.meta.url).href;
/** What an EPUB 3.2 reader must show; other pictures are turned into PNG. */
const CORE_TYPES = ['image/png', 'image/jpeg', 'image/gif'];
/** @returns {Promise<any>} the JSZip class */
async function loadJsZip() {
    const global = /** @type {any} */ (globalThis);
    if (!global.JSZip) await import(/* webpackIgnore: true */ JSZIP_URL);
    if (!global.JSZip) throw new Error(t`This SillyTavern has no JSZip, which the book export needs.`);
    return global.JSZip;
}

/** @param {Blob} blob @returns {Promise<Blob>} */
async function asPng(blob) {
    const bitmap = await createImageBitmap(blob);
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
    bitmap.close();
    return new Promise((resolve, reject) => canvas.toBlob((png) => (png ? resolve(png) : reject(new Error('the picture could not be converted'))), 'image/png'));
}

/** A message as XHTML: its speaker, then its text. @param {StoryMessage} message @param {HTMLElement} body */
function sectionXhtml(message, body) {
    const section = document.createElement('section');
    section.className = `message ${message.isUser ? 'user' : 'character'}`;
    const name = document.createElement('h2');
    name.className = 'speaker';
    name.textContent = message.name;
    section.append(name, ...body.childNodes);
    // A control character in the prose (the model's) is no XML: the book would not open.
    return xmlSafe(new XMLSerializer().serializeToString(section));
}

/**
 * @param {Array<{title: string, messages: StoryMessage[]}>} parts the chapters
 * @param {{title: string, subtitle: string, captions: boolean}} book
 * @param {ProgressToast} progress
 * @returns {Promise<{blob: Blob, missing: number}>}
 */
export async function zipEpub(parts, book, progress) {
    const JSZip = await loadJsZip();
    // No folder entries: a book is its files; readers and epubcheck need nothing more.
    const zip = new JSZip();
    // Pictures are compressed already: stored as they are, they cost no time and no memory to pack.
    const add = (/** @type {string} */ path, /** @type {any} */ data, stored = false) => zip.file(path, data, { createFolders: false, ...(stored ? { compression: 'STORE' } : {}) });
    // The mimetype entry first and stored: readers find out what the file is from its first bytes.
    zip.file('mimetype', 'application/epub+zip', { compression: 'STORE' });
    const pace = slicer();
    /** @type {Map<string, {path: string, mediaType: string}>} one file however often a picture is shown */
    const files = new Map();
    let missing = 0;
    const missingLabel = tk('iig_export_missing', 'Picture not found');
    /** @param {import('../export/story.js').StoryPicture} picture @param {boolean} inline */
    const render = async (picture, inline) => {
        progress.picture();
        let file = files.get(picture.src);
        if (!file) {
            let blob = await fetchPicture(picture.src);
            if (!blob) {
                missing++;
                return fragment(missingPictureHtml(picture.prompt, missingLabel, inline));
            }
            let mediaType = mediaTypeOf(new Uint8Array(await blob.slice(0, 16).arrayBuffer()));
            if (!mediaType || !CORE_TYPES.includes(mediaType)) [blob, mediaType] = [await asPng(blob), 'image/png'];
            file = { path: `images/picture-${files.size}.${extensionOf(mediaType)}`, mediaType };
            files.set(picture.src, file);
            add(`OEBPS/${file.path}`, blob, true);
        }
        return fragment(figureHtml({ src: file.path, prompt: picture.prompt, caption: book.captions, inline }));
    };
    /** @type {Array<{title: string, body: string}>} */
    const chapters = [];
    for (const chapter of parts) {
        let body = '';
        for (const message of chapter.messages) {
            const holder = formatted(message);
            await placePictures(holder, message.pictures, render);
            fitForExport(holder);
            body += sectionXhtml(message, holder);
            progress.message();
            await pace();
        }
        chapters.push({ title: chapter.title, body });
    }
    const c = ctx();
    const images = [...files.values()];
    const author = String(c.characters?.[c.characterId]?.data?.creator ?? '').trim();
    for (const { path, text } of epubFiles({
        id: `urn:uuid:${crypto.randomUUID()}`, title: book.title, subtitle: book.subtitle, author,
        lang: document.documentElement.lang || 'en', modified: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        chapters, images, ...(images[0] ? { cover: images[0].path } : {}),
    })) {
        if (path !== 'mimetype') add(path, text);
    }
    const blob = await zip.generateAsync({ type: 'blob', mimeType: 'application/epub+zip', compression: 'DEFLATE' });
    return { blob, missing };
}
