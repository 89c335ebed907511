// @ts-check
/**
 * A message as it leaves the chat: formatted by SillyTavern (its markdown, display regexes
 * and sanitiser), its pictures put where their markers stand, and what an exported file may
 * not hold taken out. Shared by the web page and the book; the work yields to the page often.
 */
import { ctx } from '../st.js';
import { log } from '../log.js';
import { pictureMarker } from '../export/story.js';

/** @typedef {import('../export/story.js').StoryMessage} StoryMessage */
/** @typedef {import('../export/story.js').StoryPicture} StoryPicture */

/** Work longer than this between two yields would show as a stutter. */
const SLICE_MS = 30;

/** Yields to the page when the current slice of work has run long enough. */
export function slicer() {
    let since = performance.now();
    return async () => {
        if (performance.now() - since < SLICE_MS) return;
        await new Promise((resolve) => setTimeout(resolve, 0));
        since = performance.now();
    };
}

/**
 * A picture's file, or null when it is gone (deleted, or never saved).
 * @param {string} src @returns {Promise<Blob | null>}
 */
export async function fetchPicture(src) {
    try {
        // Revalidated, not taken from the cache: a file deleted since it was shown is missing.
        const response = await fetch(src, { cache: 'no-cache' });
        if (!response.ok) return null;
        const blob = await response.blob();
        return blob.size ? blob : null;
    } catch (error) {
        log.debug(`picture ${src} could not be read`, error);
        return null;
    }
}

/**
 * A message's text as SillyTavern shows it (markdown, display regexes, its sanitiser), in a
 * detached element; our pictures are still markers in it.
 * @param {StoryMessage} message
 */
export function formatted(message) {
    const c = ctx();
    const holder = document.createElement('div');
    holder.innerHTML = c.messageFormatting(message.text, message.name, false, message.isUser, message.index);
    return holder;
}

/**
 * Put each picture where its marker stands: a marker alone in its paragraph (as story.js
 * writes it) becomes a figure there; one that markdown left inside other text becomes an
 * inline picture (a figure is not allowed inside a paragraph).
 * @param {HTMLElement} holder @param {StoryPicture[]} pictures
 * @param {(picture: StoryPicture, inline: boolean) => Promise<Node>} render
 */
export async function placePictures(holder, pictures, render) {
    for (const picture of pictures) {
        const marker = pictureMarker(picture.id);
        const walker = document.createTreeWalker(holder, NodeFilter.SHOW_TEXT);
        let node = /** @type {Text | null} */ (walker.nextNode());
        while (node && !node.data.includes(marker)) node = /** @type {Text | null} */ (walker.nextNode());
        if (!node) continue; // a display regex removed it: nothing to place
        const parent = node.parentElement;
        const alone = parent && parent !== holder && parent.tagName === 'P' && parent.textContent?.trim() === marker;
        const element = await render(picture, !alone);
        if (alone) {
            parent.replaceWith(element);
            continue;
        }
        const at = node.data.indexOf(marker);
        const after = node.splitText(at);
        after.data = after.data.slice(marker.length);
        node.after(element);
    }
}

/** Elements an exported page may not hold: they would run, fetch or restyle something. */
const NOT_EXPORTED = 'style, script, noscript, iframe, object, embed, video, audio, source, track, link, meta, form, input, button, select, textarea, canvas, svg, math, template';

/**
 * What SillyTavern's display allows but an exported story does not: markup that runs or
 * fetches something, pictures that are not ours placed here (a model's stray `<img src=x>`,
 * or one of ours without its tag: they would point at the server, which a file read offline
 * cannot reach), ids (they repeat across messages) and links that are not to the web.
 * @param {HTMLElement} holder
 */
export function fitForExport(holder) {
    for (const element of holder.querySelectorAll(NOT_EXPORTED)) element.remove();
    for (const image of holder.querySelectorAll('img')) {
        if (!image.closest('.picture')) image.replaceWith(image.alt ?? '');
    }
    for (const element of holder.querySelectorAll('[id]')) element.removeAttribute('id');
    for (const link of holder.querySelectorAll('a')) {
        if (!/^(https?:|mailto:)/i.test(link.getAttribute('href') ?? '')) link.replaceWith(...link.childNodes);
    }
}

/** @param {string} html @returns {Node} */
export function fragment(html) {
    const template = document.createElement('template');
    template.innerHTML = html;
    return template.content;
}

