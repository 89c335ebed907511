// @ts-check
/**
 * Putting one finished picture into a message text: after its own tag, or in place of a
 * picture of ours whose file was overwritten (two pictures saved under one name). Pure.
 */
import { parseTags } from './parser.js';
import { imageAfter, imageMarkup, insertImage } from './insertion.js';

/**
 * @typedef {object} Picture
 * @property {number} ordinal the tag's position among the swipe's tags when it was drawn
 * @property {string} prompt the tag's prompt (its real identity: ordinals go stale on edits)
 * @property {string} src
 * @property {string} [replaceSrc] the picture this one replaces (its file now holds another picture)
 * @property {string} [sent] the prompt that went to Image Generation, when it differs
 */

/**
 * @param {string} text @param {Picture} picture
 * @returns {{text: string, status: 'inserted'|'replaced'|'already'|'missing'}}
 */
export function placePicture(text, picture) {
    const markup = imageMarkup({ src: picture.src, prompt: picture.prompt, sent: picture.sent });
    if (picture.replaceSrc) {
        const tags = parseTags(text);
        const ordered = [tags[picture.ordinal], ...tags].filter(Boolean);
        for (const tag of ordered) {
            if (tag.prompt !== picture.prompt) continue;
            const image = imageAfter(text, tag);
            if (image?.src === picture.replaceSrc) {
                return { text: text.slice(0, image.start) + markup + text.slice(image.end), status: 'replaced' };
            }
        }
    }
    const result = insertImage(text, { ordinal: picture.ordinal, prompt: picture.prompt }, markup);
    return { text: result.text, status: result.status };
}
