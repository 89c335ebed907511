// @ts-check
/**
 * The story of a chat as it will be exported (HTML book, EPUB): the messages the user reads now,
 * in order, with our pictures pulled out of the text and a marker left in their place, so the
 * shell can format the text (markdown, sanitiser) and then put each picture back as a figure.
 * Pure: plain chat objects in, plain objects out; no SillyTavern, no DOM.
 */
import { scanTags } from '../format/tags.js';
import { imageAfter } from '../format/pictures.js';
import { countWords } from '../format/text.js';

export const PICTURE_MARK = 'IIGPICTUREMARK';

/**
 * The marker that stands for picture `id` in a message's text: letters and digits only, so
 * markdown and sanitisers leave it alone. The closing `X` keeps marker 1 from being a prefix
 * of marker 12.
 * @param {number} id
 */
export function pictureMarker(id) {
    return `${PICTURE_MARK}${id}X`;
}

const MARKER_RE = new RegExp(`${PICTURE_MARK}(\\d+)X`, 'g');

/**
 * @typedef {{id: number, src: string, prompt: string, sent: string}} StoryPicture
 * src as written in the message (not checked here), prompt = the tag's prompt,
 * sent = the img's title or the prompt
 */
/**
 * @typedef {{index: number, name: string, isUser: boolean, date: string, text: string, pictures: StoryPicture[]}} StoryMessage
 * index: the message's place in the chat; text: the message with tags gone and a marker
 * (on a paragraph of its own) for each picture
 */
/** @typedef {{title: string, messages: StoryMessage[]}} StoryChapter */

/** @typedef {{start: number, end: number, picture: Omit<StoryPicture, 'id'> | null}} Edit */

/**
 * What to cut out of one message text: tags, broken tags, and each picture of ours together
 * with its tag. Sorted by start; an edit that overlaps an earlier one is dropped, because hand
 * written (or hostile) markup can make an image's quoted attribute run over a later tag, and
 * that text is gone with the image already.
 * @param {string} text
 * @returns {Edit[]}
 */
function editsOf(text) {
    const { tags, malformed } = scanTags(text);
    /** @type {Edit[]} */
    const edits = malformed.map((span) => ({ start: span.start, end: span.end, picture: null }));
    for (const tag of tags) {
        const image = imageAfter(text, tag);
        if (image && image.src) {
            // The whitespace between tag and image goes too: the marker brings its own blank lines.
            const picture = { src: image.src, prompt: tag.prompt, sent: image.title || tag.prompt };
            edits.push({ start: tag.start, end: image.end, picture });
        } else {
            edits.push({ start: tag.start, end: tag.end, picture: null });
        }
    }
    edits.sort((a, b) => a.start - b.start);
    /** @type {Edit[]} */
    const kept = [];
    let reached = 0;
    for (const edit of edits) {
        if (edit.start < reached) continue;
        kept.push(edit);
        reached = edit.end;
    }
    return kept;
}

/**
 * One message's text as exported, numbering its pictures from `firstId`.
 * @param {string} text @param {number} firstId
 * @returns {{text: string, pictures: StoryPicture[]}}
 */
function exportText(text, firstId) {
    /** @type {StoryPicture[]} */
    const pictures = [];
    let out = '';
    let last = 0;
    for (const edit of editsOf(text)) {
        out += text.slice(last, edit.start);
        last = edit.end;
        if (!edit.picture) continue;
        const id = firstId + pictures.length;
        pictures.push({ id, ...edit.picture });
        out += `\n\n${pictureMarker(id)}\n\n`;
    }
    return { text: out + text.slice(last), pictures };
}

/**
 * The messages of the chat as the user reads them now: `mes` is the swipe shown, so the other
 * swipes are not part of the story.
 * @param {ReadonlyArray<any>} chat SillyTavern's chat array: {mes, name, is_user, is_system, send_date, ...}
 * @param {{withUser?: boolean}} [options] withUser (default true): include the user's messages;
 *   false: only the characters' (the story)
 * @returns {StoryMessage[]}
 */
export function storyOf(chat, options) {
    const withUser = options?.withUser ?? true;
    /** @type {StoryMessage[]} */
    const messages = [];
    let nextId = 0;
    chat.forEach((message, index) => {
        if (!message || typeof message !== 'object' || message.is_system || typeof message.mes !== 'string') return;
        const isUser = Boolean(message.is_user);
        if (isUser && !withUser) return;
        const { text, pictures } = exportText(message.mes, nextId);
        nextId += pictures.length;
        // Kept even when empty: the shell still shows who spoke.
        messages.push({ index, name: String(message.name ?? ''), isUser, date: String(message.send_date ?? ''), text, pictures });
    });
    return messages;
}

/** A message's words, without its markers (each of which would count as one). @param {StoryMessage} message */
function wordsOf(message) {
    return countWords(message.text.replace(MARKER_RE, ' '));
}

/**
 * Group messages into chapters of reasonable size for the book: consecutive messages, a new
 * chapter once the current one holds at least `words` words (default 1500), never splitting a
 * message; chapter titles are 'Chapter 1', 'Chapter 2', ... unless the caller renames.
 * @param {StoryMessage[]} messages
 * @param {{words?: number}} [options]
 * @returns {StoryChapter[]}
 */
export function chapters(messages, options) {
    const asked = Number(options?.words);
    // A bound below one word would make every message its own chapter at best, a loop at worst.
    const bound = Number.isFinite(asked) && asked >= 1 ? asked : 1500;
    /** @type {StoryChapter[]} */
    const out = [];
    /** @type {StoryMessage[]} */
    let current = [];
    let count = 0;
    for (const message of messages) {
        current.push(message);
        count += wordsOf(message);
        if (count >= bound) {
            out.push({ title: `Chapter ${out.length + 1}`, messages: current });
            current = [];
            count = 0;
        }
    }
    if (current.length) out.push({ title: `Chapter ${out.length + 1}`, messages: current });
    return out;
}
