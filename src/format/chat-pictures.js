// @ts-check
/**
 * The pictures of a chat, as the viewer and the gallery step through them, the progress count
 * a message shows while its pictures are drawn, and which tag a shown picture or placeholder
 * belongs to. Pure: reads plain messages and texts, changes nothing; no SillyTavern, no DOM.
 */
import { parseTags } from './tags.js';
import { imageAfter } from './pictures.js';

/**
 * @typedef {object} ChatPicture a picture of ours found in a chat's text
 * @property {number} messageIndex where its message is in the chat
 * @property {number} ordinal which tag of the message it was drawn for
 * @property {string} src the picture's file, as written in the message
 * @property {string} prompt the prompt the model wrote (the tag's)
 * @property {string} sent the prompt Image Generation got (the same when nothing was added)
 * @property {string} [negative] the negative prompt it got with it ('' or none: none)
 * @property {string} name who wrote the message
 */

/**
 * Every picture of ours in the chat, in reading order: message by message, and within a
 * message in the order of its tags. Only the swipe shown counts (it is what `mes` holds);
 * the user's own and system messages carry none of ours.
 * @param {ReadonlyArray<{mes?: string, is_user?: boolean, is_system?: boolean, name?: string} | null | undefined>} chat
 * @returns {ChatPicture[]}
 */
export function collectPictures(chat) {
    /** @type {ChatPicture[]} */
    const pictures = [];
    chat.forEach((message, messageIndex) => {
        const text = message?.mes;
        if (!message || message.is_user || message.is_system || typeof text !== 'string' || !text.includes('data-iig')) return;
        parseTags(text).forEach((tag, ordinal) => {
            const image = imageAfter(text, tag);
            if (!image || !image.src) return;
            pictures.push({
                messageIndex, ordinal, src: image.src, prompt: tag.prompt,
                sent: image.title || tag.prompt, negative: image.negative, name: String(message.name ?? ''),
            });
        });
    });
    return pictures;
}

/**
 * The pictures grouped by message, in story order.
 * @param {ChatPicture[]} pictures
 * @returns {{messageIndex: number, name: string, pictures: {picture: ChatPicture, at: number}[]}[]} `at`: its place in `pictures`
 */
export function groupByMessage(pictures) {
    /** @type {{messageIndex: number, name: string, pictures: {picture: ChatPicture, at: number}[]}[]} */
    const groups = [];
    pictures.forEach((picture, at) => {
        const last = groups[groups.length - 1];
        if (last && last.messageIndex === picture.messageIndex) last.pictures.push({ picture, at });
        else groups.push({ messageIndex: picture.messageIndex, name: picture.name, pictures: [{ picture, at }] });
    });
    return groups;
}

/**
 * How far the drawing of a message's pictures is: null when none is being drawn. `total`
 * counts the tags that have a picture or are being drawn for (not the ones over the limit,
 * nor failed ones, which show their own box); `current` is the one being drawn now,
 * counted from 1 ("drawing 2 of 4": one done, the second under way).
 * @param {string} text the message as shown
 * @param {Map<number, {status: string}> | null} states the jobs' states by tag ordinal
 * @returns {{current: number, total: number} | null}
 */
export function drawingProgress(text, states) {
    if (!states || typeof text !== 'string') return null;
    let done = 0;
    let drawing = 0;
    const tags = parseTags(text);
    tags.forEach((tag, ordinal) => {
        const status = states.get(ordinal)?.status;
        if (status === 'pending') drawing++;
        else if (status === 'ready' || imageAfter(text, tag)) done++;
    });
    // A job may run for a tag the text no longer shows as such (it streams in): count it too.
    for (const [ordinal, state] of states) {
        if (state.status === 'pending' && ordinal >= tags.length) drawing++;
    }
    if (!drawing) return null;
    return { current: done + 1, total: done + drawing };
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
        if (state && ['pending', 'failed', 'ready', 'over', 'limit'].includes(state.status) && seen++ === index) return ordinal;
    }
    return -1;
}

/**
 * The ordinal of the tag whose image is the `index`-th of our images shown: the display shows
 * the images in the text and, for tags without one, the finished pictures not written yet
 * (while the reply streams, or its editor is open).
 * @param {string} text @param {number} index @param {Map<number, {status: string, src?: string}>|null} [states]
 */
export function imageOrdinal(text, index, states = null) {
    if (index < 0) return -1;
    let seen = 0;
    const tags = parseTags(text);
    for (let ordinal = 0; ordinal < tags.length; ordinal++) {
        const state = states?.get(ordinal);
        const shown = imageAfter(text, tags[ordinal]) || (state?.status === 'ready' && state.src);
        if (shown && seen++ === index) return ordinal;
    }
    return -1;
}
